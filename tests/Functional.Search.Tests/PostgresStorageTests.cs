// The PostgreSQL store: the shared contract, worker processes with one SIGKILLed, and the failures (unreachable, wrong password, missing database) — against the server FUNCTIONAL_TEST_POSTGRES names, or, without one, the unreachable-server error.
using Functional.Search.Storage;
using Npgsql;
using Xunit.Abstractions;

namespace Functional.Search.Tests;

[Collection("Storage")]
public sealed class PostgresStorageTests(ITestOutputHelper output) : StorageContract(output)
{
    /// <summary>The test server, postgres://user:password@host:port/db (.ci/run starts one); unset on a machine without PostgreSQL.</summary>
    private static readonly string? Server = Environment.GetEnvironmentVariable("FUNCTIONAL_TEST_POSTGRES") is { Length: > 0 } s ? s : null;

    /// <summary>Nothing listens on port 1; a password rides along to show it is not echoed.</summary>
    private const string Nowhere = "postgres://functional:nowhere-Secr3t@127.0.0.1:1/functional";

    /// <inheritdoc/>
    protected override bool Available => Server is not null;

    /// <inheritdoc/>
    protected override IStudyStorage OpenStore() => StudyStorage.Open(Server!);

    /// <inheritdoc/>
    protected override void CheckUnavailable()
    {
        Output.WriteLine("FUNCTIONAL_TEST_POSTGRES is unset: no server to test against, so this checked the unreachable-server error instead");
        var e = Assert.Throws<StudyStorageException>(() => StudyStorage.Open(Nowhere));
        Output.WriteLine(e.Message);
        Assert.StartsWith("postgres://functional@127.0.0.1:1/functional: cannot connect (", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain("nowhere-Secr3t", e.ToString());
    }

    /// <inheritdoc/>
    protected override void SetSchemaVersion(int version)
    {
        using var c = new NpgsqlConnection(KeywordString(Server!));
        c.Open();
        using var command = new NpgsqlCommand($"UPDATE schema_version SET version = {version}", c);
        command.ExecuteNonQuery();
    }

    [Fact]
    public void An_unreachable_server_is_one_line_naming_host_port_and_database_but_not_the_password()
    {
        var e = Assert.Throws<StudyStorageException>(() => StudyStorage.Open(Nowhere));
        Output.WriteLine(e.Message);
        Assert.Equal("postgres://functional@127.0.0.1:1/functional: cannot connect (Connection refused)", e.Message);
        Assert.DoesNotContain("nowhere-Secr3t", e.ToString());
    }

    [Fact]
    public void With_a_server_four_workers_one_SIGKILLed_record_every_trial_once_else_the_unreachable_error()
    {
        if (Server is null)
        {
            CheckUnavailable();
            return;
        }
        StorageWorkers.KillOneMidTrial(Server, Output, workers: 4, count: 40, kill: true);
    }

    [Fact]
    public void With_a_server_four_workers_race_through_short_trials_else_the_unreachable_error()
    {
        if (Server is null)
        {
            CheckUnavailable();
            return;
        }
        StorageWorkers.KillOneMidTrial(Server, Output, workers: 4, count: 200, kill: false, sleepMs: 0);
    }

    [Fact]
    public void With_a_server_a_wrong_password_is_one_line_and_no_password_is_in_any_message_or_stored_row_else_the_unreachable_error()
    {
        if (Server is null)
        {
            CheckUnavailable();
            return;
        }
        var uri = new Uri(Server);
        string password = Uri.UnescapeDataString(uri.UserInfo.Split(':', 2)[1]), user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        string wrong = "wrong-" + Guid.NewGuid().ToString("N");
        var e = Assert.Throws<StudyStorageException>(() => StudyStorage.Open($"postgres://{user}:{wrong}@{uri.Host}:{uri.Port}{uri.AbsolutePath}"));
        Output.WriteLine(e.Message);
        Assert.Equal($"postgres://{user}@{uri.Host}:{uri.Port}/{uri.AbsolutePath.Trim('/')}: password authentication failed for user \"{user}\" (the password comes from the address, PGPASSWORD or PGPASSFILE)", e.Message);
        Assert.DoesNotContain(wrong, e.ToString());
        Assert.DoesNotContain(password, e.ToString());

        var missing = Assert.Throws<StudyStorageException>(() => StudyStorage.Open($"postgres://{user}:{password}@{uri.Host}:{uri.Port}/no_such_db"));
        Output.WriteLine(missing.Message);
        Assert.Equal($"postgres://{user}@{uri.Host}:{uri.Port}/no_such_db: database \"no_such_db\" does not exist (create it, or name another in the address)", missing.Message);
        Assert.DoesNotContain(password, missing.ToString());

        // A study used in every way, then every row of every table read as text: the password is in none of them.
        using (var store = OpenStore())
        {
            long id = store.OpenStudy(Fresh("secret"), """{"space":{}}""");
            store.AddStage(id, 0, "{}", ["{}", "{}"]);
            var l = store.TryLease(id, "w", TimeSpan.FromMinutes(1))!;
            store.ReportIntermediate(l, 1, 0.5);
            store.Complete(l, TrialState.Failed, null, "an error");
        }
        using var c = new NpgsqlConnection(KeywordString(Server));
        c.Open();
        var tables = new List<string>();
        using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", c))
        using (var r = list.ExecuteReader())
            while (r.Read()) tables.Add(r.GetString(0));
        Assert.Equal(["intermediate", "schema_version", "stages", "studies", "trials"], tables.Order());
        long rows = 0;
        foreach (var table in tables)
        {
            using var dump = new NpgsqlCommand($"SELECT t::text FROM {table} t", c);
            using var r = dump.ExecuteReader();
            while (r.Read())
            {
                rows++;
                Assert.DoesNotContain(password, r.GetString(0));
            }
        }
        Output.WriteLine($"{rows} stored rows in {tables.Count} tables, none holding the password");
    }

    [Fact]
    public void With_a_server_the_password_comes_from_PGPASSFILE_and_without_one_the_error_says_where_to_put_it_else_the_unreachable_error()
    {
        if (Server is null)
        {
            CheckUnavailable();
            return;
        }
        var uri = new Uri(Server);
        string[] userInfo = uri.UserInfo.Split(':', 2);
        string user = Uri.UnescapeDataString(userInfo[0]), password = Uri.UnescapeDataString(userInfo[1]), db = uri.AbsolutePath.Trim('/');
        string bare = $"postgres://{user}@{uri.Host}:{uri.Port}/{db}";
        string dir = Directory.CreateTempSubdirectory("functional-pgpass-").FullName;
        try
        {
            string passfile = Path.Combine(dir, "pgpass");
            File.WriteAllText(passfile, $"{uri.Host}:{uri.Port}:{db}:{user}:{password}\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            // In a child process, so the environment is the worker's own and nothing here leaks into the other tests.
            var (code, stdout, stderr) = StorageWorkers.Run(["count", bare, Fresh("passfile")], [("PGPASSFILE", passfile), ("PGPASSWORD", null)]);
            Assert.True(code == 0, stderr);
            Assert.Equal("trials 0", stdout.Trim());

            (code, _, stderr) = StorageWorkers.Run(["count", bare, Fresh("passfile")], [("PGPASSFILE", Path.Combine(dir, "none")), ("PGPASSWORD", null)]);
            Assert.Equal(1, code);
            Assert.Equal($"error: {bare}: PGPASSFILE names {Path.Combine(dir, "none")}, which does not exist", stderr.Trim());

            // No password anywhere (HOME moved, so no ~/.pgpass either).
            (code, _, stderr) = StorageWorkers.Run(["count", bare, Fresh("passfile")], [("PGPASSFILE", null), ("PGPASSWORD", null), ("HOME", dir)]);
            Output.WriteLine(stderr);
            Assert.Equal(1, code);
            Assert.Equal($"error: {bare}: the server asks for a password and none was given (put it in the address, PGPASSWORD or the file PGPASSFILE names)", stderr.Trim());

            (code, stdout, _) = StorageWorkers.Run(["count", bare, Fresh("passfile")], [("PGPASSFILE", null), ("PGPASSWORD", password)]);
            Assert.Equal("trials 0", stdout.Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The test server's address as a keyword connection string, for reaching behind the store.</summary>
    private static string KeywordString(string server)
    {
        var uri = new Uri(server);
        string[] userInfo = uri.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host, Port = uri.Port, Database = uri.AbsolutePath.Trim('/'),
            Username = Uri.UnescapeDataString(userInfo[0]), Password = Uri.UnescapeDataString(userInfo[1]),
        }.ToString();
    }
}
