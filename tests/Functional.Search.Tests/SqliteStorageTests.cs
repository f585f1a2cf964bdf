// The SQLite store: the shared contract on a temporary file, worker processes with one SIGKILLed, and the file-system failures (no folder, not a database, full disk, file-size limit, read-only).
using Functional.Search.Storage;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Functional.Search.Tests;

[Collection("Storage")]
public sealed class SqliteStorageTests(ITestOutputHelper output) : StorageContract(output), IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("functional-sqlite-storage-").FullName;

    private string Path_ => Path.Combine(dir, "runs", "study.db");

    /// <inheritdoc/>
    protected override IStudyStorage OpenStore() => StudyStorage.Open("sqlite:" + Path_);

    /// <inheritdoc/>
    protected override void SetSchemaVersion(int version)
    {
        using var c = new SqliteConnection($"Data Source={Path_};Pooling=False");
        c.Open();
        using var command = c.CreateCommand();
        command.CommandText = $"UPDATE schema_version SET version = {version}";
        command.ExecuteNonQuery();
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Four_worker_processes_one_SIGKILLed_mid_trial_record_every_trial_exactly_once()
    {
        StorageWorkers.KillOneMidTrial("sqlite:" + Path_, Output, workers: 4, count: 40, kill: true);
        Assert.Equal("wal", Pragma("journal_mode"));
    }

    [Fact]
    public void Four_worker_processes_racing_through_short_trials_never_see_a_locked_database()
    {
        StorageWorkers.KillOneMidTrial("sqlite:" + Path_, Output, workers: 4, count: 200, kill: false, sleepMs: 0);
    }

    [Fact]
    public void The_file_and_its_folder_are_created_on_first_open_and_the_schema_is_versioned()
    {
        using (OpenStore()) { }
        Assert.True(File.Exists(Path_));
        Assert.Equal("1", Query("SELECT group_concat(version) FROM schema_version"));
        // Reopening (as every worker does) adds no second version row.
        using (OpenStore()) { }
        Assert.Equal("1", Query("SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public void A_folder_that_cannot_be_made_is_one_line_naming_the_path()
    {
        File.WriteAllText(Path.Combine(dir, "file"), "");
        var e = Assert.Throws<StudyStorageException>(() => StudyStorage.Open($"sqlite:{dir}/file/study.db"));
        Output.WriteLine(e.Message);
        Assert.StartsWith($"sqlite:{dir}/file/study.db: cannot create its folder: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_study_store_is_one_line()
    {
        string path = Path.Combine(dir, "notes.txt");
        File.WriteAllText(path, new string('x', 4096));
        var e = Assert.Throws<StudyStorageException>(() => StudyStorage.Open("sqlite:" + path));
        Assert.Equal($"sqlite:{path}: is not a SQLite study store or is damaged", e.Message);
    }

    [Fact]
    public void An_unknown_scheme_is_one_line_that_does_not_echo_the_address()
    {
        var e = Assert.Throws<StudyStorageException>(() => StudyStorage.Open("mysql://root:hunter2@db/x"));
        Assert.Equal("unknown study storage scheme \"mysql\": use sqlite:PATH or postgres://user@host[:port]/db", e.Message);
        Assert.Equal("sqlite:runs/study.db", StudyStorage.Default);
    }

    [Fact]
    public void A_full_disk_then_a_read_only_one_are_one_line_errors_and_every_committed_trial_is_kept()
    {
        // A private mount namespace with a 1 MiB tmpfs: a few stages of 4 × 64 KiB trials fit, then the disk is full.
        string disk = Path.Combine(dir, "disk"), store = $"sqlite:{disk}/study.db";
        Directory.CreateDirectory(disk);
        string worker = Path.Combine(AppContext.BaseDirectory, "Functional.Search.Worker.dll");
        string[] unshare = Environment.UserName == "root" ? ["-m", "--propagation", "private"] : ["-rm"];
        var (code, stdout, stderr) = Shell(unshare, $"mount -t tmpfs -o size=1024k none {disk} && " +
            $"dotnet {worker} fill {store} full; echo '--- count'; dotnet {worker} count {store} full; echo '--- read-only' && " +
            $"mount -o remount,ro {disk} && dotnet {worker} fill {store} full");
        string text = stdout + "\n" + stderr;
        Output.WriteLine(text);
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, errors.Length);
        Assert.Equal($"error: {store}: the disk is full (or the file-size limit, ulimit -f, is reached); the last committed results are kept", errors[0]);
        Assert.StartsWith($"error: {store}: ", errors[1]);
        Assert.Contains("read-only", errors[1]);
        // Each stage landed whole or not at all: the count is 4 × the stages the worker saw land.
        int stages = stdout.Split("--- count")[0].Split('\n').Count(l => l.StartsWith("stages "));
        Assert.True(stages > 0, text);
        Assert.Contains($"--- count\ntrials {4 * stages}\n--- read-only\n", stdout);
        Assert.NotEqual(0, code);
    }

    [Fact]
    public void A_file_size_limit_is_a_one_line_error()
    {
        string worker = Path.Combine(AppContext.BaseDirectory, "Functional.Search.Worker.dll"), store = $"sqlite:{dir}/limited.db";
        // 512 KiB: the schema and a few stages fit. (The runtime's W^X double mapping needs a large file of its own.)
        var (code, stdout, stderr) = Shell([], $"ulimit -f 1024; DOTNET_EnableWriteXorExecute=0 dotnet {worker} fill {store} limited");
        Output.WriteLine(stdout + stderr);
        Assert.Equal(1, code);
        // Past the limit write() fails with EFBIG, which SQLite reports as a write error (a full disk is SQLITE_FULL, above).
        Assert.Equal($"error: {store}: cannot write the file (the disk is full, the file-size limit, ulimit -f, is reached, or the device failed); the last committed results are kept", stderr.Trim());
        var (_, count, _) = StorageWorkers.Run(["count", store, "limited"]);
        Assert.Equal($"trials {4 * stdout.Split('\n').Count(l => l.StartsWith("stages "))}", count.Trim());
    }

    private static (int Code, string Stdout, string Stderr) Shell(string[] unshare, string script)
    {
        var info = new System.Diagnostics.ProcessStartInfo(unshare.Length > 0 ? "unshare" : "bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in unshare.Length > 0 ? [.. unshare, "bash", "-c", script] : new[] { "-c", script }) info.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "the shell still runs after 2 minutes");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private string Pragma(string name) => Query($"PRAGMA {name}");

    private string Query(string sql)
    {
        using var c = new SqliteConnection($"Data Source={Path_};Pooling=False");
        c.Open();
        using var command = c.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
