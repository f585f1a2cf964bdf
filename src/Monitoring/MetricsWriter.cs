// The metrics stream: JSON lines, one record per epoch (and optionally every N steps), each carrying the run's whole configuration, flushed as written.
using System.Buffers;
using System.Text.Json;
using Functional.Training;

namespace Functional.Monitoring;

/// <summary>
/// Writes a run's metrics as JSON lines: one object per line, <c>"kind"</c> first (<c>"epoch"</c>, <c>"step"</c>, <c>"test"</c>),
/// then its figures and a <c>"configuration"</c> object (the <see cref="RunConfiguration"/>, with that epoch's learning rate).
/// Each record is formatted whole in memory, written as one line and flushed, so a crash or Ctrl-C leaves every record
/// written so far complete. Append mode continues a resumed run's file, first cutting a torn last line if a crash left one.
/// As an observer it writes a <c>"step"</c> record every <c>stepEvery</c> steps (0: none).
/// </summary>
public sealed class MetricsWriter : IStepObserver, IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly JsonWriterOptions Compact = new() { Indented = false };

    private readonly FileStream stream;
    private readonly ArrayBufferWriter<byte> buffer = new(4096);
    private readonly Utf8JsonWriter json;
    private readonly int stepEvery;
    private int epoch = 1;
    private float learningRate;

    /// <param name="path">The file; its folder is created. Without <paramref name="append"/> an existing file is replaced.</param>
    /// <param name="configuration">The run's configuration, written into every record.</param>
    /// <param name="append">Continue an existing file (a resumed run) instead of replacing it.</param>
    /// <param name="stepEvery">Write a "step" record every this many steps when used as an observer (0: only epoch and test records).</param>
    public MetricsWriter(string path, RunConfiguration configuration, bool append = false, int stepEvery = 0)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentOutOfRangeException.ThrowIfNegative(stepEvery);
        Path = System.IO.Path.GetFullPath(path);
        Configuration = configuration;
        learningRate = configuration.LearningRate;
        this.stepEvery = stepEvery;
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        // Readers (a live plot, a test) may read while we write; unbuffered, so each line is one write of our own buffer.
        stream = new FileStream(Path, append ? FileMode.OpenOrCreate : FileMode.Create, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        if (append) CutTornLine(stream);
        stream.Seek(0, SeekOrigin.End);
        json = new Utf8JsonWriter(buffer, Compact);
    }

    /// <summary>The JSON-lines file the records go to, as a full path.</summary>
    public string Path { get; }

    /// <summary>The configuration every record carries (its learning rate replaced by the current epoch's).</summary>
    public RunConfiguration Configuration { get; }

    /// <summary>0: the metrics file records losses and accuracy only, so the fold computes no per-layer statistics for it.</summary>
    public int LayerStatisticsEvery => 0;

    /// <summary>The epoch (1-based) and learning rate that the next step records belong to.</summary>
    public void BeginEpoch(int number, float rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        epoch = number;
        learningRate = rate;
    }

    /// <summary>One "epoch" record: train loss with and without the L2 penalty, train and validation accuracy, seconds.</summary>
    public void WriteEpoch(EpochRecord e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var rate = float.IsNaN(e.LearningRate) ? learningRate : e.LearningRate;
        Begin("epoch");
        json.WriteNumber("epoch", e.Epoch);
        json.WriteNumber("firstStep", e.FirstStep);
        json.WriteNumber("lastStep", e.LastStep);
        json.WriteNumber("learningRate", rate);
        Number("trainLoss", e.TrainLoss);
        Number("trainDataLoss", e.TrainDataLoss);
        Number("trainPenalty", e.TrainPenalty);
        Number("trainAccuracy", e.TrainAccuracy);
        Number("validationLoss", e.ValidationLoss);
        Number("validationAccuracy", e.ValidationAccuracy);
        Number("seconds", e.Seconds);
        End(rate, durable: true);
    }

    /// <summary>The "test" record: the final model on the test set (data loss, no penalty).</summary>
    public void WriteTest(double loss, double accuracy, int count)
    {
        Begin("test");
        Number("testLoss", loss);
        Number("testAccuracy", accuracy);
        json.WriteNumber("testCount", count);
        End(learningRate, durable: true);
    }

    /// <summary>Writes a step record every <c>stepEvery</c> steps (none when it is 0); never stops the fold.</summary>
    public Verdict OnStep(in StepReport report)
    {
        if (stepEvery == 0 || report.Step % stepEvery != 0) return Verdict.Continue;
        Begin("step");
        json.WriteNumber("step", report.Step);
        json.WriteNumber("epoch", epoch);
        json.WriteNumber("learningRate", learningRate);
        Number("loss", report.Loss);
        Number("dataLoss", report.DataLoss);
        Number("penalty", report.Penalty);
        Number("accuracy", report.Accuracy);
        // Step records are frequent: to the OS at once (a crash of the process keeps them), to the disk with the next epoch.
        End(learningRate, durable: false);
        return Verdict.Continue;
    }

    /// <summary>Flushes what is buffered to the disk and closes the file.</summary>
    public void Dispose()
    {
        json.Dispose();
        stream.Dispose();
    }

    /// <summary>
    /// Every complete record of a metrics file, in order, as parsed JSON; a torn last line (the writer was killed mid-write) is
    /// left out, any other malformed line is an error naming the file and line.
    /// </summary>
    public static IReadOnlyList<JsonElement> Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(file);
        string text = reader.ReadToEnd();
        var lines = text.Split('\n');
        var records = new List<JsonElement>();
        // The last piece is "" after a final newline, or a line that was never finished.
        for (int i = 0; i < lines.Length - 1; i++)
        {
            if (lines[i].Length == 0) continue;
            try
            {
                using var document = JsonDocument.Parse(lines[i]);
                records.Add(document.RootElement.Clone());
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}, line {i + 1}: not a JSON record ({e.Message})", e);
            }
        }
        return records;
    }

    private void Begin(string kind)
    {
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteString("kind", kind);
    }

    private void End(float rate, bool durable)
    {
        json.WritePropertyName("configuration");
        JsonSerializer.Serialize(json, Configuration with { LearningRate = rate }, Json);
        json.WriteEndObject();
        json.Flush();
        // The newline goes into the same buffer, so the whole line reaches the file in one write.
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);
        stream.Write(buffer.WrittenSpan);
        stream.Flush(flushToDisk: durable);
    }

    // JSON has no NaN or ∞ (an epoch without steps, a diverged loss): those become null rather than an unreadable file.
    private void Number(string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }

    // Floats as floats: their shortest round-trip form, not a double's noise digits.
    private void Number(string name, float value)
    {
        if (float.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }

    private static void CutTornLine(FileStream file)
    {
        if (file.Length == 0) return;
        long end = file.Length;
        var one = new byte[1];
        while (end > 0)
        {
            file.Seek(end - 1, SeekOrigin.Begin);
            file.ReadExactly(one);
            if (one[0] == (byte)'\n') break;
            end--;
        }
        file.SetLength(end);
    }
}
