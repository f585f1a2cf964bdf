// Runs fake trials from a shared study as a worker process would, so storage tests can run several at once, kill one mid-trial, or fill its disk.
using System.Globalization;
using System.Text.Json;
using Functional.Search.Storage;
using Functional.Search.Worker;

// work STORAGE STUDY WORKER LEASE_MS SLEEP_MS: lease trials until every trial of the study has ended; for each print
//   "start N A" (trial N, attempt A) before its fake work and "done N True|False" (Complete's answer) after it;
//   at the end "slowest MS" (the longest a trial's store calls took, its fake work aside) and "busy-retries N".
// fill STORAGE STUDY: add stages of 64 KiB trials until the store fails; print "stages N" as each new one lands and the error last.
// count STORAGE STUDY: print "trials N" (how many the study holds).
// Any storage failure is printed as "error: MESSAGE" on stderr with exit code 1.
try
{
    return args switch
    {
        ["work", var storage, var study, var worker, var lease, var sleep] => Work(storage, study, worker, int.Parse(lease, CultureInfo.InvariantCulture), int.Parse(sleep, CultureInfo.InvariantCulture)),
        ["fill", var storage, var study] => Fill(storage, study),
        ["count", var storage, var study] => Count(storage, study),
        _ => Usage(),
    };
}
catch (Exception e) when (e is StudyStorageException or StudyMismatchException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static int Work(string storage, string study, string worker, int leaseMs, int sleepMs)
{
    using var store = StudyStorage.Open(storage);
    long id = store.OpenStudy(study, FakeTrials.Definition);
    var lease = TimeSpan.FromMilliseconds(leaseMs);
    var held = new System.Diagnostics.Stopwatch();
    long slowest = 0;
    while (true)
    {
        var claimed = store.TryLease(id, worker, lease);
        if (claimed is null)
        {
            // Nothing to claim: finished when every trial has ended, else another worker holds one (or died holding it) — wait.
            if (store.Trials(id).All(t => t.State is not (TrialState.Waiting or TrialState.Running))) break;
            Thread.Sleep(25);
            continue;
        }
        held.Restart();
        Console.WriteLine($"start {claimed.Trial.Number} {claimed.Trial.Attempts}");
        Thread.Sleep(sleepMs);
        store.ReportIntermediate(claimed, 1, FakeTrials.Score(claimed.Trial.ParametersJson) / 2);
        bool recorded = store.Complete(claimed, TrialState.Complete, FakeTrials.Score(claimed.Trial.ParametersJson), null);
        slowest = Math.Max(slowest, held.ElapsedMilliseconds - sleepMs);
        Console.WriteLine($"done {claimed.Trial.Number} {recorded}");
    }
    Console.WriteLine($"slowest {slowest}");
    Console.WriteLine($"busy-retries {SqliteStudyStorage.BusyRetries}");
    return 0;
}

static int Fill(string storage, string study)
{
    using var store = StudyStorage.Open(storage);
    long id = store.OpenStudy(study, FakeTrials.Definition);
    string big = JsonSerializer.Serialize(new { pad = new string('x', 64 * 1024) });
    for (int stage = 0; ; stage++)
    {
        if (store.AddStage(id, stage, "{}", [big, big, big, big])) Console.WriteLine($"stages {stage + 1}");
    }
}

static int Count(string storage, string study)
{
    using var store = StudyStorage.Open(storage);
    Console.WriteLine($"trials {store.Trials(store.OpenStudy(study, FakeTrials.Definition)).Count}");
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Functional.Search.Worker work STORAGE STUDY WORKER LEASE_MS SLEEP_MS | fill STORAGE STUDY | count STORAGE STUDY");
    return 2;
}
