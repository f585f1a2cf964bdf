// A study in one SQLite file that several local worker processes share: WAL, a busy timeout, short BEGIN IMMEDIATE transactions and a retry on SQLITE_BUSY.
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Functional.Search.Storage;

/// <summary>
/// The embedded default store: one SQLite file on a local disk, shared by any number of worker processes on this
/// machine. Optuna's "database is locked" comes from deferred transactions that read and then try to write: SQLite
/// cannot wait for such an upgrade and fails at once. Here every transaction that writes begins with
/// <c>BEGIN IMMEDIATE</c> (it takes the write lock first, so waiting for it is safe), the journal is WAL (readers never
/// block the writer), each connection waits up to a busy timeout, and a busy error that still gets through is retried
/// with a random back-off. Lease times are this machine's clock in UTC milliseconds: the file is for one machine
/// (use PostgreSQL for several; SQLite's locks do not work over network file systems).
/// </summary>
public sealed class SqliteStudyStorage : IStudyStorage
{
    private const int Busy = 5, Locked = 6, ReadOnly = 8, IoError = 10, Corrupt = 11, Full = 13, CannotOpen = 14, NotADatabase = 26, IoErrorWrite = 778;
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(60);
    private static long retries;
    private readonly string connectionString;
    private readonly string name;

    /// <summary>
    /// A write past the file-size limit (ulimit -f) raises SIGXFSZ, whose default action kills the process mid-transaction;
    /// handled, the write fails with EFBIG instead, SQLite reports SQLITE_FULL and the caller gets a one-line error.
    /// </summary>
    private static readonly System.Runtime.InteropServices.PosixSignalRegistration? FileSizeLimit =
        OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()
            ? System.Runtime.InteropServices.PosixSignalRegistration.Create((System.Runtime.InteropServices.PosixSignal)(OperatingSystem.IsLinux() ? 25 : 31), context => context.Cancel = true)
            : null;

    /// <summary>Busy errors retried by this process's SQLite stores (each a wait for another worker's transaction; none is an error).</summary>
    public static long BusyRetries => Interlocked.Read(ref retries);

    /// <summary>Opens (creating if needed, folder included) the study file at <paramref name="path"/>; a failure is a one-line <see cref="StudyStorageException"/>.</summary>
    public SqliteStudyStorage(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        name = "sqlite:" + path;
        GC.KeepAlive(FileSizeLimit);
        try
        {
            if (Path.GetDirectoryName(full) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StudyStorageException($"{name}: cannot create its folder: {e.Message}", e);
        }
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)GiveUp.TotalSeconds,
        }.ToString();
        // WAL is a property of the file, set once; switching needs a moment alone with it, hence the retry loop.
        Run(c => Execute(c, "PRAGMA journal_mode=WAL"), write: false);
        Run(c =>
        {
            Execute(c, """
                CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS studies (
                    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, definition TEXT NOT NULL, created_utc TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS stages (
                    study INTEGER NOT NULL REFERENCES studies (id), stage INTEGER NOT NULL, definition TEXT NOT NULL,
                    created_utc TEXT NOT NULL, PRIMARY KEY (study, stage));
                CREATE TABLE IF NOT EXISTS trials (
                    study INTEGER NOT NULL REFERENCES studies (id), number INTEGER NOT NULL, stage INTEGER NOT NULL,
                    parameters TEXT NOT NULL, state TEXT NOT NULL, score REAL, detail TEXT, worker TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0, token TEXT, lease_expires_ms INTEGER,
                    started_utc TEXT, finished_utc TEXT, PRIMARY KEY (study, number));
                CREATE INDEX IF NOT EXISTS trials_by_state ON trials (study, state, number);
                CREATE TABLE IF NOT EXISTS intermediate (
                    study INTEGER NOT NULL, number INTEGER NOT NULL, epoch INTEGER NOT NULL, value REAL NOT NULL,
                    PRIMARY KEY (study, number, epoch));
                """);
            long? found = Scalar<long?>(c, "SELECT max(version) FROM schema_version");
            if (found is null) Execute(c, "INSERT INTO schema_version (version) VALUES ($v)", ("$v", StoredTrial.SchemaVersion));
            else if (found > StoredTrial.SchemaVersion) throw new StudyStorageException(StoredTrial.Newer(name, (int)found));
            return 0;
        }, write: true);
    }

    /// <inheritdoc/>
    public long OpenStudy(string study, string definitionJson) => Run(c =>
    {
        using (var read = Command(c, "SELECT id, definition FROM studies WHERE name = $n", ("$n", study)))
        using (var r = read.ExecuteReader())
            if (r.Read())
            {
                string stored = r.GetString(1);
                if (!StudyStorage.SameDefinition(definitionJson, stored)) throw new StudyMismatchException(study, StudyStorage.Difference(definitionJson, stored));
                return r.GetInt64(0);
            }
        return Scalar<long>(c, "INSERT INTO studies (name, definition, created_utc) VALUES ($n, $d, $t) RETURNING id",
            ("$n", study), ("$d", definitionJson), ("$t", StoredTrial.Utc(DateTimeOffset.UtcNow)));
    }, write: true);

    /// <inheritdoc/>
    public (long Id, string DefinitionJson)? FindStudy(string study) => Run<(long, string)?>(c =>
    {
        using var read = Command(c, "SELECT id, definition FROM studies WHERE name = $n", ("$n", study));
        using var r = read.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetString(1)) : null;
    }, write: false);

    /// <inheritdoc/>
    public bool AddStage(long study, int stage, string stageJson, IReadOnlyList<string> trialParametersJson) => Run(c =>
    {
        // Inside BEGIN IMMEDIATE no other writer runs, so the check, the numbering and the inserts are one step.
        if (Scalar<long>(c, "SELECT count(*) FROM stages WHERE study = $s AND stage = $g", ("$s", study), ("$g", stage)) > 0) return false;
        string now = StoredTrial.Utc(DateTimeOffset.UtcNow);
        Execute(c, "INSERT INTO stages (study, stage, definition, created_utc) VALUES ($s, $g, $d, $t)", ("$s", study), ("$g", stage), ("$d", stageJson), ("$t", now));
        long next = Scalar<long>(c, "SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = $s", ("$s", study));
        using var insert = Command(c, "INSERT INTO trials (study, number, stage, parameters, state) VALUES ($s, $n, $g, $p, 'waiting')",
            ("$s", study), ("$n", 0L), ("$g", stage), ("$p", ""));
        foreach (var parameters in trialParametersJson)
        {
            insert.Parameters["$n"].Value = next++;
            insert.Parameters["$p"].Value = parameters;
            insert.ExecuteNonQuery();
        }
        return true;
    }, write: true);

    /// <inheritdoc/>
    public string? StageDefinition(long study, int stage) => Run(c =>
        Scalar<string?>(c, "SELECT definition FROM stages WHERE study = $s AND stage = $g", ("$s", study), ("$g", stage)), write: false);

    /// <inheritdoc/>
    public Lease? TryLease(long study, string worker, TimeSpan duration) => Run(c =>
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), expires = now + (long)duration.TotalMilliseconds;
        var token = Guid.NewGuid();
        TrialRecord? trial = null;
        using (var claim = Command(c, """
            UPDATE trials SET state = 'running', token = $k, worker = $w, attempts = attempts + 1, lease_expires_ms = $e, started_utc = $t
            WHERE study = $s AND number = (
                SELECT number FROM trials
                WHERE study = $s AND (state = 'waiting' OR (state = 'running' AND lease_expires_ms <= $now))
                ORDER BY number LIMIT 1)
            RETURNING number, stage, parameters, attempts
            """, ("$k", token.ToString()), ("$w", worker), ("$e", expires), ("$t", StoredTrial.Utc(DateTimeOffset.FromUnixTimeMilliseconds(now))), ("$s", study), ("$now", now)))
        using (var r = claim.ExecuteReader())
            if (r.Read()) trial = new TrialRecord(r.GetInt64(0), r.GetInt32(1), r.GetString(2), TrialState.Running, null, null, worker, r.GetInt32(3));
        if (trial is null) return null;
        // A re-run starts its learning curve afresh: the dead attempt's values would mislead the pruner.
        if (trial.Attempts > 1) Execute(c, "DELETE FROM intermediate WHERE study = $s AND number = $n", ("$s", study), ("$n", trial.Number));
        return new Lease(study, trial, token, DateTimeOffset.FromUnixTimeMilliseconds(expires));
    }, write: true);

    /// <inheritdoc/>
    public bool Renew(Lease lease, TimeSpan duration) => Run(c =>
        Execute(c, "UPDATE trials SET lease_expires_ms = $e WHERE study = $s AND number = $n AND token = $k AND state = 'running'",
            ("$e", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)duration.TotalMilliseconds), ("$s", lease.Study), ("$n", lease.Trial.Number), ("$k", lease.Token.ToString())) == 1,
        write: true);

    /// <inheritdoc/>
    public bool ReportIntermediate(Lease lease, int epoch, double value) => Run(c =>
        Execute(c, """
            INSERT INTO intermediate (study, number, epoch, value)
            SELECT $s, $n, $p, $v WHERE EXISTS (SELECT 1 FROM trials WHERE study = $s AND number = $n AND token = $k AND state = 'running')
            ON CONFLICT (study, number, epoch) DO UPDATE SET value = excluded.value
            """, ("$s", lease.Study), ("$n", lease.Trial.Number), ("$p", epoch), ("$v", value), ("$k", lease.Token.ToString())) == 1,
        write: true);

    /// <inheritdoc/>
    public IReadOnlyList<double> IntermediateValues(long study, int stage, int epoch) => Run(c =>
    {
        using var read = Command(c, """
            SELECT i.value FROM intermediate i JOIN trials t ON t.study = i.study AND t.number = i.number
            WHERE i.study = $s AND t.stage = $g AND i.epoch = $p ORDER BY i.number
            """, ("$s", study), ("$g", stage), ("$p", epoch));
        using var r = read.ExecuteReader();
        var values = new List<double>();
        while (r.Read()) values.Add(r.GetDouble(0));
        return values;
    }, write: false);

    /// <inheritdoc/>
    public bool Complete(Lease lease, TrialState state, double? score, string? detail)
    {
        score = StoredTrial.CheckEnd(state, score);
        // The token and the running state together guard the write: a re-leased trial has a new token, a finished one no state to match.
        return Run(c => Execute(c, """
            UPDATE trials SET state = $st, score = $sc, detail = $d, finished_utc = $t, token = NULL, lease_expires_ms = NULL
            WHERE study = $s AND number = $n AND token = $k AND state = 'running'
            """, ("$st", StoredTrial.Name(state)), ("$sc", score), ("$d", detail), ("$t", StoredTrial.Utc(DateTimeOffset.UtcNow)),
            ("$s", lease.Study), ("$n", lease.Trial.Number), ("$k", lease.Token.ToString())) == 1, write: true);
    }

    /// <inheritdoc/>
    public IReadOnlyList<TrialRecord> Trials(long study) => Run(c =>
    {
        using var read = Command(c, $"SELECT {StoredTrial.Columns} FROM trials WHERE study = $s ORDER BY number", ("$s", study));
        using var r = read.ExecuteReader();
        return StoredTrial.ReadAll(r);
    }, write: false);

    /// <summary>Closes this store's pooled connections, so the file is free to move or delete.</summary>
    public void Dispose()
    {
        using var c = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(c);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection; one that writes runs in a BEGIN IMMEDIATE transaction. A busy
    /// error (another worker's transaction outlasting the busy timeout) rolls back and runs it again after a random pause.
    /// </summary>
    private T Run<T>(Func<SqliteConnection, T> work, bool write)
    {
        var clock = Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var c = new SqliteConnection(connectionString);
                c.Open();
                Execute(c, "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL");
                if (!write) return work(c);
                using var transaction = c.BeginTransaction(deferred: false);
                T result = work(c);
                transaction.Commit();
                return result;
            }
            catch (SqliteException e) when (e.SqliteErrorCode is Busy or Locked && clock.Elapsed < GiveUp)
            {
                Interlocked.Increment(ref retries);
                Thread.Sleep(Random.Shared.Next(5, 20 + 10 * Math.Min(attempt, 20)));
            }
            catch (SqliteException e)
            {
                throw new StudyStorageException($"{name}: {Cause(e)}", e);
            }
        }
    }

    private string Cause(SqliteException e) => e.SqliteErrorCode switch
    {
        Busy or Locked => $"still busy with another worker's transaction after {GiveUp.TotalSeconds:N0} s (is a process holding it open?)",
        Full => "the disk is full (or the file-size limit, ulimit -f, is reached); the last committed results are kept",
        ReadOnly => "the file or its folder is read-only",
        CannotOpen => "cannot open or create the file (is its folder writable?)",
        IoError when e.SqliteExtendedErrorCode == IoErrorWrite => "cannot write the file (the disk is full, the file-size limit, ulimit -f, is reached, or the device failed); the last committed results are kept",
        IoError => $"disk I/O error ({e.SqliteExtendedErrorCode}); the last committed results are kept",
        Corrupt or NotADatabase => "is not a SQLite study store or is damaged",
        _ => e.Message.Replace('\n', ' '),
    };

    private static SqliteCommand Command(SqliteConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = c.CreateCommand();
        command.CommandText = sql;
        foreach (var (n, v) in parameters) command.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return command;
    }

    private static int Execute(SqliteConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(c, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(c, sql, parameters);
        object? value = command.ExecuteScalar();
        if (value is null or DBNull) return default!;
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
    }
}
