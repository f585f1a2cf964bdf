// The metrics file: one parseable JSON object per line, the configuration in every record, complete lines after a kill, appends that resume.
using System.Text;
using System.Text.Json;
using Functional.Training;

namespace Functional.Monitoring.Tests;

public sealed class MetricsWriterTests
{
    private static readonly RunConfiguration Configuration = RunConfiguration.Of<MonitoredMlp>() with
    {
        Optimizer = "SGD momentum 0.9", LearningRate = 0.1f, Schedule = "halved each epoch", L2 = 1e-4f, Batch = 64, Epochs = 3, Seed = 7,
        Data = "synthetic", Extras = new Dictionary<string, object?> { ["trial"] = 12, ["note"] = "a \"quoted\" note" },
    };

    private static EpochRecord Epoch(int n, float lr) => new(n, (n - 1) * 10 + 1, n * 10, lr, 1.0 / n + 0.01, 1.0 / n, 0.5 + n / 10.0, 1.1 / n, 0.45 + n / 10.0, 0.5);

    [Fact]
    public void Every_line_is_one_JSON_record_carrying_the_whole_configuration_and_that_epochs_learning_rate()
    {
        string path = Path.Combine(Folders.Fresh("metrics-roundtrip"), "m.jsonl");
        using (var writer = new MetricsWriter(path, Configuration, stepEvery: 5))
        {
            for (int e = 1; e <= 3; e++)
            {
                float lr = 0.1f / (1 << (e - 1));
                writer.BeginEpoch(e, lr);
                for (int s = (e - 1) * 10 + 1; s <= e * 10; s++) writer.OnStep(new StepReport(s, 0.5f, 0.01f, 30, 64));
                writer.WriteEpoch(Epoch(e, lr));
            }
            writer.WriteTest(0.4, 0.87, 1000);
        }

        string[] lines = File.ReadAllText(path).Split('\n');
        Assert.Equal("", lines[^1]);
        foreach (var line in lines[..^1]) using (JsonDocument.Parse(line)) { }
        var records = MetricsWriter.Read(path);
        Assert.Equal(lines.Length - 1, records.Count);
        Assert.Equal(["step", "step", "epoch", "step", "step", "epoch", "step", "step", "epoch", "test"], records.Select(r => r.GetProperty("kind").GetString()));

        var epochs = records.Where(r => r.GetProperty("kind").GetString() == "epoch").ToArray();
        Assert.Equal([0.1f, 0.05f, 0.025f], epochs.Select(r => r.GetProperty("learningRate").GetSingle()));
        Assert.Equal([0.1f, 0.05f, 0.025f], epochs.Select(r => r.GetProperty("configuration").GetProperty("learningRate").GetSingle()));
        Assert.Equal(1.01, epochs[0].GetProperty("trainLoss").GetDouble(), 12);
        Assert.Equal(1.0, epochs[0].GetProperty("trainDataLoss").GetDouble(), 12);
        Assert.Equal(0.01, epochs[0].GetProperty("trainPenalty").GetDouble(), 12);
        Assert.Equal(0.55, epochs[0].GetProperty("validationAccuracy").GetDouble(), 12);
        foreach (var r in records)
        {
            var c = r.GetProperty("configuration");
            Assert.Equal("MonitoredMlp", c.GetProperty("network").GetString());
            Assert.Equal(25_450, c.GetProperty("parameterCount").GetInt64());
            Assert.Equal("Relu", c.GetProperty("activation").GetString());
            Assert.Equal(7, c.GetProperty("seed").GetInt64());
            Assert.Equal(12, c.GetProperty("extras").GetProperty("trial").GetInt32());
            Assert.Equal("a \"quoted\" note", c.GetProperty("extras").GetProperty("note").GetString());
        }
        var step = records[0];
        Assert.Equal((5, 1, 0.51f, 0.5f), (step.GetProperty("step").GetInt64(), step.GetProperty("epoch").GetInt32(), step.GetProperty("loss").GetSingle(), step.GetProperty("dataLoss").GetSingle()));
        Assert.Equal(0.87, records[^1].GetProperty("testAccuracy").GetDouble());
    }

    [Fact]
    public void A_writer_that_is_never_disposed_has_already_written_every_record_whole()
    {
        string path = Path.Combine(Folders.Fresh("metrics-killed"), "m.jsonl");
        // Not disposed before reading, as after a kill: each record must already be in the file, one complete line each.
        var writer = new MetricsWriter(path, Configuration, stepEvery: 1);
        try
        {
            writer.WriteEpoch(Epoch(1, 0.1f));
            writer.OnStep(new StepReport(11, 0.5f, 0f, 1, 2));
            writer.WriteEpoch(Epoch(2, 0.05f));

            byte[] bytes;
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)) { bytes = new byte[file.Length]; file.ReadExactly(bytes); }
            string text = Encoding.UTF8.GetString(bytes);
            Assert.EndsWith("\n", text);
            var lines = text.Split('\n')[..^1];
            Assert.Equal(3, lines.Length);
            foreach (var line in lines) using (JsonDocument.Parse(line)) { }
            Assert.Equal(3, MetricsWriter.Read(path).Count);
        }
        finally
        {
            writer.Dispose();
        }
    }

    [Fact]
    public void Append_continues_a_resumed_run_and_cuts_a_line_torn_by_a_crash()
    {
        string path = Path.Combine(Folders.Fresh("metrics-append"), "m.jsonl");
        using (var writer = new MetricsWriter(path, Configuration)) writer.WriteEpoch(Epoch(1, 0.1f));
        // A crash in the middle of the second record.
        File.AppendAllText(path, "{\"kind\":\"epoch\",\"epoch\":2,\"trainLo");
        Assert.Single(MetricsWriter.Read(path));

        using (var writer = new MetricsWriter(path, Configuration, append: true)) writer.WriteEpoch(Epoch(2, 0.05f));

        var records = MetricsWriter.Read(path);
        Assert.Equal([1, 2], records.Select(r => r.GetProperty("epoch").GetInt32()));
        // Without append the file starts over.
        using (var writer = new MetricsWriter(path, Configuration)) writer.WriteEpoch(Epoch(1, 0.1f));
        Assert.Single(MetricsWriter.Read(path));
    }

    [Fact]
    public void Non_finite_figures_are_written_as_null_and_a_malformed_line_is_named()
    {
        string path = Path.Combine(Folders.Fresh("metrics-nan"), "m.jsonl");
        using (var writer = new MetricsWriter(path, Configuration)) writer.WriteEpoch(Epoch(1, 0.1f) with { ValidationLoss = double.NaN, TrainLoss = double.PositiveInfinity });
        var record = Assert.Single(MetricsWriter.Read(path));
        Assert.Equal(JsonValueKind.Null, record.GetProperty("validationLoss").ValueKind);
        Assert.Equal(JsonValueKind.Null, record.GetProperty("trainLoss").ValueKind);

        File.AppendAllText(path, "not json\n");
        var error = Assert.Throws<InvalidDataException>(() => MetricsWriter.Read(path));
        Assert.StartsWith($"{path}, line 2: not a JSON record", error.Message);
    }
}
