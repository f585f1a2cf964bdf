// The --metrics JSON file: per-epoch figures and the final test accuracy, written atomically.
using System.Text.Json;

namespace FashionExample;

internal sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

internal sealed record RunMetrics(string Data, int Epochs, int Batch, float LearningRate, float Momentum, float L2, int Seed,
    IReadOnlyList<EpochMetrics> History, double TestAccuracy, double TestLoss);

internal static class Metrics
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Writes to a temporary file beside the target, then renames it: a crash never leaves half a file or loses the old one.</summary>
    public static void Save(FileInfo file, RunMetrics metrics)
    {
        file.Directory?.Create();
        string temporary = file.FullName + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(metrics, Json));
        File.Move(temporary, file.FullName, overwrite: true);
    }
}
