// A study in PostgreSQL for workers on several machines: leases taken with FOR UPDATE SKIP LOCKED and timed by the server's clock, results guarded by the lease token.
using System.Net.Sockets;
using Npgsql;

namespace Functional.Search.Storage;

/// <summary>
/// The store for workers on several machines. A worker claims the lowest waiting (or expired) trial with
/// <c>SELECT … FOR UPDATE SKIP LOCKED</c>, so concurrent claims never wait for or take the same row; lease expiry is
/// the server's <c>now()</c>, so workers whose clocks disagree still agree on who holds a trial; a result is written
/// only <c>WHERE token = @token AND state = 'running'</c>, so it is written once. The password comes from the address,
/// PGPASSWORD or the password file (PGPASSFILE, else ~/.pgpass) and is never part of a message, a record or the store.
/// Give it a database of its own: its tables are called studies, stages, trials, intermediate and schema_version.
/// </summary>
public sealed class PostgresStudyStorage : IStudyStorage
{
    private readonly NpgsqlDataSource source;
    private readonly string name;
    private readonly string? secret;
    private readonly string user;

    /// <summary>
    /// Opens the store at <paramref name="address"/> (<c>postgres://user[:password]@host[:port]/db[?option=value…]</c> or a
    /// keyword connection string), creating its tables on first use; every failure is a one-line <see cref="StudyStorageException"/>.
    /// </summary>
    public PostgresStudyStorage(string address)
    {
        var builder = Parse(address);
        if (string.IsNullOrEmpty(builder.Password) && Environment.GetEnvironmentVariable("PGPASSWORD") is { Length: > 0 } password) builder.Password = password;
        // Npgsql reads the file PGPASSFILE names itself, but fails with a bare FileNotFoundException when it is missing.
        if (string.IsNullOrEmpty(builder.Password) && Environment.GetEnvironmentVariable("PGPASSFILE") is { Length: > 0 } passfile && !File.Exists(passfile))
            throw new StudyStorageException($"{Describe(builder)}: PGPASSFILE names {passfile}, which does not exist");
        secret = string.IsNullOrEmpty(builder.Password) ? null : builder.Password;
        if (builder.Timeout == 15) builder.Timeout = 10;
        builder.ApplicationName ??= "functional-search";
        user = builder.Username ?? Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        name = Describe(builder);
        source = NpgsqlDataSource.Create(builder);
        try
        {
            Run(c =>
            {
                // Two workers opening a fresh database at once would race in CREATE TABLE IF NOT EXISTS; this lock makes them take turns.
                Execute(c, "SELECT pg_advisory_xact_lock(7262018501)");
                Execute(c, """
                    CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);
                    CREATE TABLE IF NOT EXISTS studies (
                        id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, definition text NOT NULL, created timestamptz NOT NULL DEFAULT now());
                    CREATE TABLE IF NOT EXISTS stages (
                        study bigint NOT NULL REFERENCES studies (id), stage integer NOT NULL, definition text NOT NULL,
                        created timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (study, stage));
                    CREATE TABLE IF NOT EXISTS trials (
                        study bigint NOT NULL REFERENCES studies (id), number bigint NOT NULL, stage integer NOT NULL,
                        parameters text NOT NULL, state text NOT NULL, score double precision, detail text, worker text,
                        attempts integer NOT NULL DEFAULT 0, token uuid, lease_expires timestamptz,
                        started timestamptz, finished timestamptz, PRIMARY KEY (study, number));
                    CREATE INDEX IF NOT EXISTS trials_by_state ON trials (study, state, number);
                    CREATE TABLE IF NOT EXISTS intermediate (
                        study bigint NOT NULL, number bigint NOT NULL, epoch integer NOT NULL, value double precision NOT NULL,
                        PRIMARY KEY (study, number, epoch));
                    """);
                object? found = Scalar(c, "SELECT max(version) FROM schema_version");
                if (found is null) Execute(c, "INSERT INTO schema_version (version) VALUES (@v)", ("v", StoredTrial.SchemaVersion));
                else if ((int)found > StoredTrial.SchemaVersion) throw new StudyStorageException(StoredTrial.Newer(name, (int)found));
                return 0;
            });
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public long OpenStudy(string study, string definitionJson) => Run(c =>
    {
        // ON CONFLICT waits for a concurrent creator to commit, so the read after it sees the one study either way.
        Execute(c, "INSERT INTO studies (name, definition) VALUES (@n, @d) ON CONFLICT (name) DO NOTHING", ("n", study), ("d", definitionJson));
        using var read = Command(c, "SELECT id, definition FROM studies WHERE name = @n", ("n", study));
        using var r = read.ExecuteReader();
        r.Read();
        long id = r.GetInt64(0);
        string stored = r.GetString(1);
        if (!StudyStorage.SameDefinition(definitionJson, stored)) throw new StudyMismatchException(study, StudyStorage.Difference(definitionJson, stored));
        return id;
    });

    /// <inheritdoc/>
    public bool AddStage(long study, int stage, string stageJson, IReadOnlyList<string> trialParametersJson) => Run(c =>
    {
        // The study's row lock makes AddStage calls on one study take turns: one wins a stage, and trial numbers never collide.
        Execute(c, "SELECT 1 FROM studies WHERE id = @s FOR UPDATE", ("s", study));
        if (Scalar(c, "SELECT 1 FROM stages WHERE study = @s AND stage = @g", ("s", study), ("g", stage)) is not null) return false;
        Execute(c, "INSERT INTO stages (study, stage, definition) VALUES (@s, @g, @d)", ("s", study), ("g", stage), ("d", stageJson));
        Execute(c, """
            INSERT INTO trials (study, number, stage, parameters, state)
            SELECT @s, (SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = @s) + u.ord - 1, @g, u.p, 'waiting'
            FROM unnest(@p::text[]) WITH ORDINALITY AS u (p, ord)
            """, ("s", study), ("g", stage), ("p", trialParametersJson.ToArray()));
        return true;
    });

    /// <inheritdoc/>
    public (long Id, string DefinitionJson)? FindStudy(string study) => Run<(long, string)?>(c =>
    {
        using var read = Command(c, "SELECT id, definition FROM studies WHERE name = @n", ("n", study));
        using var r = read.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetString(1)) : null;
    });

    /// <inheritdoc/>
    public string? StageDefinition(long study, int stage) => Run(c =>
        (string?)Scalar(c, "SELECT definition FROM stages WHERE study = @s AND stage = @g", ("s", study), ("g", stage)));

    /// <inheritdoc/>
    public Lease? TryLease(long study, string worker, TimeSpan duration)
    {
        // A row another worker claimed between our snapshot and our lock fails the re-check and LIMIT 1 then yields nothing
        // although later trials wait; so "nothing" is believed only when no claimable trial is left.
        for (int round = 0; round < 20; round++)
        {
            var token = Guid.NewGuid();
            var lease = Run(c =>
            {
                using var claim = Command(c, """
                    WITH next AS (
                        SELECT number FROM trials
                        WHERE study = @s AND (state = 'waiting' OR (state = 'running' AND lease_expires <= now()))
                        ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
                    UPDATE trials t SET state = 'running', token = @k, worker = @w, attempts = t.attempts + 1,
                        lease_expires = now() + @d, started = now()
                    FROM next WHERE t.study = @s AND t.number = next.number
                    RETURNING t.number, t.stage, t.parameters, t.attempts, t.lease_expires
                    """, ("s", study), ("k", token), ("w", worker), ("d", duration));
                TrialRecord trial;
                DateTimeOffset expires;
                using (var r = claim.ExecuteReader())
                {
                    if (!r.Read()) return null;
                    trial = new TrialRecord(r.GetInt64(0), r.GetInt32(1), r.GetString(2), TrialState.Running, null, null, worker, r.GetInt32(3));
                    expires = new DateTimeOffset(r.GetFieldValue<DateTime>(4), TimeSpan.Zero);
                }
                // A re-run starts its learning curve afresh: the dead attempt's values would mislead the pruner.
                if (trial.Attempts > 1) Execute(c, "DELETE FROM intermediate WHERE study = @s AND number = @n", ("s", study), ("n", trial.Number));
                return new Lease(study, trial, token, expires);
            });
            if (lease is not null) return lease;
            bool claimable = Run(c => Scalar(c, "SELECT 1 FROM trials WHERE study = @s AND (state = 'waiting' OR (state = 'running' AND lease_expires <= now())) LIMIT 1", ("s", study)) is not null);
            if (!claimable) return null;
        }
        return null;
    }

    /// <inheritdoc/>
    public bool Renew(Lease lease, TimeSpan duration) => Run(c =>
        Execute(c, "UPDATE trials SET lease_expires = now() + @d WHERE study = @s AND number = @n AND token = @k AND state = 'running'",
            ("d", duration), ("s", lease.Study), ("n", lease.Trial.Number), ("k", lease.Token)) == 1);

    /// <inheritdoc/>
    public bool ReportIntermediate(Lease lease, int epoch, double value) => Run(c =>
        Execute(c, """
            INSERT INTO intermediate (study, number, epoch, value)
            SELECT @s, @n, @p, @v WHERE EXISTS (SELECT 1 FROM trials WHERE study = @s AND number = @n AND token = @k AND state = 'running')
            ON CONFLICT (study, number, epoch) DO UPDATE SET value = excluded.value
            """, ("s", lease.Study), ("n", lease.Trial.Number), ("p", epoch), ("v", value), ("k", lease.Token)) == 1);

    /// <inheritdoc/>
    public IReadOnlyList<double> IntermediateValues(long study, int stage, int epoch) => Run(c =>
    {
        using var read = Command(c, """
            SELECT i.value FROM intermediate i JOIN trials t ON t.study = i.study AND t.number = i.number
            WHERE i.study = @s AND t.stage = @g AND i.epoch = @p ORDER BY i.number
            """, ("s", study), ("g", stage), ("p", epoch));
        using var r = read.ExecuteReader();
        var values = new List<double>();
        while (r.Read()) values.Add(r.GetDouble(0));
        return values;
    });

    /// <inheritdoc/>
    public bool Complete(Lease lease, TrialState state, double? score, string? detail)
    {
        score = StoredTrial.CheckEnd(state, score);
        // The token and the running state together guard the write: a re-leased trial has a new token, a finished one no state to match.
        return Run(c => Execute(c, """
            UPDATE trials SET state = @st, score = @sc, detail = @dt, finished = now(), token = NULL, lease_expires = NULL
            WHERE study = @s AND number = @n AND token = @k AND state = 'running'
            """, ("st", StoredTrial.Name(state)), ("sc", score), ("dt", detail), ("s", lease.Study), ("n", lease.Trial.Number), ("k", lease.Token)) == 1);
    }

    /// <inheritdoc/>
    public IReadOnlyList<TrialRecord> Trials(long study) => Run(c =>
    {
        using var read = Command(c, $"SELECT {StoredTrial.Columns} FROM trials WHERE study = @s ORDER BY number", ("s", study));
        using var r = read.ExecuteReader();
        return StoredTrial.ReadAll(r);
    });

    /// <summary>Closes the pooled connections.</summary>
    public void Dispose() => source.Dispose();

    /// <summary>The store as messages name it: postgres://user@host:port/db, never with the password.</summary>
    private static string Describe(NpgsqlConnectionStringBuilder b)
    {
        string who = b.Username ?? Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        return $"postgres://{who}@{b.Host ?? "localhost"}:{b.Port}/{b.Database ?? who}";
    }

    /// <summary>Reads <c>postgres://user[:password]@host[:port]/db[?k=v&amp;…]</c> or a keyword string, echoing neither in its errors.</summary>
    private static NpgsqlConnectionStringBuilder Parse(string address)
    {
        if (!address.Contains("://"))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(address);
            }
            catch (ArgumentException)
            {
                throw new StudyStorageException("the PostgreSQL connection string is not valid (expected Host=…;Username=…;Database=…)");
            }
        }
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new StudyStorageException("the postgres:// address is not valid: expected postgres://user[:password]@host[:port]/db (percent-encode @ : / in the password)");
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']'), Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            string key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]), value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            try
            {
                builder[key] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new StudyStorageException($"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}: unknown or invalid option \"{key}\"");
            }
        }
        return builder;
    }

    /// <summary>How many times a transaction whose connection was lost is run again on a new one before the loss is an error.</summary>
    private const int Reconnects = 5;

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction on a pooled connection; a deadlock or serialization failure runs it
    /// again, and so does a lost connection (the server ended the session: <c>pg_terminate_backend</c>, a restart, a
    /// dropped socket), on a fresh connection after the pool is emptied of the other dead ones. Running again is safe:
    /// either the lost transaction did not commit, or it did and every write here is guarded (a trial is completed only
    /// while its lease token matches and it is running, a stage added only if absent, an intermediate value upserted),
    /// so nothing is recorded twice; a lease granted by a commit whose answer was lost simply expires.
    /// </summary>
    private T Run<T>(Func<NpgsqlConnection, T> work)
    {
        for (int attempt = 0, reconnect = 0; ; attempt++)
        {
            try
            {
                using var c = source.OpenConnection();
                using var transaction = c.BeginTransaction();
                T result = work(c);
                transaction.Commit();
                return result;
            }
            catch (PostgresException e) when (e.SqlState is "40001" or "40P01" && attempt < 10)
            {
                Thread.Sleep(Random.Shared.Next(5, 50));
            }
            catch (NpgsqlException e) when (ConnectionLost(e) && reconnect++ < Reconnects)
            {
                source.Clear();
                Interlocked.Increment(ref reconnects);
                Thread.Sleep(50 * reconnect);
            }
            catch (NpgsqlException e)
            {
                throw new StudyStorageException(Scrub($"{name}: {Cause(e)}"), e);
            }
            catch (IOException e)
            {
                // The password file could not be read (Npgsql opens it while connecting).
                throw new StudyStorageException(Scrub($"{name}: cannot read the password file ({e.Message})"), e);
            }
            catch (TimeoutException e)
            {
                throw new StudyStorageException(Scrub($"{name}: no answer from the server ({e.Message})"), e);
            }
        }
    }

    private static long reconnects;

    /// <summary>How many transactions were run again after a lost connection, in this process (for tests and diagnostics).</summary>
    public static long ReconnectCount => Interlocked.Read(ref reconnects);

    /// <summary>
    /// A session that was open and then ended under us: the server's "terminating connection" (57P01, 57P02), a
    /// connection failure (class 08), or the socket closing mid-conversation; not a server that cannot be reached at all,
    /// which is said at once.
    /// </summary>
    private static bool ConnectionLost(NpgsqlException e) =>
        e is PostgresException p ? p.SqlState is "57P01" or "57P02" || p.SqlState.StartsWith("08", StringComparison.Ordinal)
            : e.InnerException is IOException && e.InnerException is not FileNotFoundException and not DirectoryNotFoundException && e.InnerException.InnerException is not SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound };

    private string Cause(NpgsqlException e)
    {
        if (e is PostgresException p)
            return p.SqlState switch
            {
                "28P01" => $"password authentication failed for user \"{user}\" (the password comes from the address, PGPASSWORD or PGPASSFILE)",
                "28000" => $"the server does not let this user in ({p.MessageText})",
                "3D000" => $"{p.MessageText} (create it, or name another in the address)",
                "42501" => $"permission denied ({p.MessageText})",
                "53100" => "the server's disk is full; the last committed results are kept",
                "57P01" or "57P02" or "57P03" => $"the server is shutting down or starting up ({p.MessageText})",
                _ => $"{p.MessageText} ({p.SqlState})",
            };
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException s) return $"cannot connect ({s.Message})";
            if (inner is TimeoutException) return "cannot connect (no answer within the connection timeout)";
        }
        if (e.Message.Contains("password", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("No password", StringComparison.OrdinalIgnoreCase))
            return "the server asks for a password and none was given (put it in the address, PGPASSWORD or the file PGPASSFILE names)";
        return e.Message.Replace('\n', ' ');
    }

    /// <summary>Removes the password from a message, whatever put it there.</summary>
    private string Scrub(string message) => secret is null ? message : message.Replace(secret, "***", StringComparison.Ordinal);

    private static NpgsqlCommand Command(NpgsqlConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, c);
        foreach (var (n, v) in parameters) command.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return command;
    }

    private static int Execute(NpgsqlConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(c, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(c, sql, parameters);
        object? value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }
}
