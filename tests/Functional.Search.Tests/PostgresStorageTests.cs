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

    [Fact]
    public void With_a_server_a_connection_the_server_ends_mid_study_is_reopened_and_every_trial_recorded_once_else_the_unreachable_error()
    {
        if (Server is null)
        {
            CheckUnavailable();
            return;
        }
        // The store's sessions carry their own application name, so only they are ended (other tests' are left alone).
        string application = $"functional-lost-{Guid.NewGuid():N}";
        using var store = StudyStorage.Open($"{Server}?ApplicationName={application}");
        using var admin = new NpgsqlConnection(KeywordString(Server) + ";Pooling=false");
        admin.Open();
        int Terminate()
        {
            using var kill = new NpgsqlCommand("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @a", admin);
            kill.Parameters.AddWithValue("a", application);
            return Convert.ToInt32(kill.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        // By hand: a lease taken, every session of the store ended, then the same lease renewed, reported and completed.
        long id = store.OpenStudy(Fresh("lost"), """{"space":{}}""");
        store.AddStage(id, 0, "{}", ["{}", "{}"]);
        var lease = store.TryLease(id, "w", TimeSpan.FromMinutes(1))!;
        long before = PostgresStudyStorage.ReconnectCount;
        Assert.True(Terminate() >= 1, "the store held no session to end");
        Assert.True(store.Renew(lease, TimeSpan.FromMinutes(1)));
        Assert.True(store.ReportIntermediate(lease, 1, 0.5));
        Assert.True(store.Complete(lease, TrialState.Complete, 0.5, "{}"));
        Assert.True(PostgresStudyStorage.ReconnectCount > before, "the ended session was not noticed, so the test proved nothing");
        var trials = store.Trials(id);
        Assert.Equal([TrialState.Complete, TrialState.Waiting], trials.Select(t => t.State));
        Assert.Equal(1, trials[0].Attempts);

        // A study whose sessions are ended during trials 2 and 5 (two workers): it finishes, each trial complete once, on its first attempt.
        var space = new SearchSpace(Dimension.Uniform("x", 0, 1));
        int ended = 0;
        TrialResult Trial(TrialContext c)
        {
            if (c.Number is 2 or 5) Interlocked.Add(ref ended, Terminate());
            Thread.Sleep(20);
            return TrialResult.Scored(c.Parameters.Real("x"));
        }
        var report = Study.Run(store, Fresh("lost-study"), new StudyDefinition(space, [new Stage("a", 8, 1)]), Trial, new StudyOptions { Workers = 2, Poll = TimeSpan.FromMilliseconds(50) });
        Assert.True(ended >= 2, $"only {ended} sessions were ended");
        Assert.Equal(8, report.Trials.Count);
        Assert.All(report.Trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(8, report.Trials.Select(t => t.Number).Distinct().Count());
        Assert.All(store.Trials(store.FindStudy(report.Name)!.Value.Id), t => Assert.Equal(1, t.Attempts));
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
