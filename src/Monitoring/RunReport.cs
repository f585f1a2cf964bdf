// One self-contained HTML page per run: final figures, configuration, per-layer health and every picture embedded, each with how to read it.
using System.Globalization;
using System.Net;
using System.Text;

namespace Functional.Monitoring;

/// <summary>
/// Writes <see cref="FileName"/> into a run's folder, beside the PNGs it embeds. The pictures are inlined as
/// <c>data:image/png;base64</c> URIs, so the one file can be mailed or opened anywhere; the markup is well-formed XML
/// (every tag closed, only XML's own entities) so tools can parse it too.
/// </summary>
public static class RunReport
{
    /// <summary>The report's file name inside the directory it is written to.</summary>
    public const string FileName = "report.html";

    /// <summary>
    /// Draws <paramref name="recorder"/>'s pictures into <paramref name="directory"/> and writes the report there; returns its full path.
    /// <paramref name="extra"/> adds rows to the final figures (e.g. "test accuracy" → "88.1 %"), in the order given.
    /// </summary>
    public static string Write(string directory, RunRecorder recorder, RunConfiguration configuration, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(configuration);
        var plots = RunPlots.Write(directory, recorder, configuration);
        string run = configuration.Variant is null ? configuration.Network : $"{configuration.Network} ({configuration.Variant})";
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en" xmlns="http://www.w3.org/1999/xhtml">
            <head>
            <meta charset="utf-8"/>
            <title>Run report: {{E(run)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 1040px; margin: 2em auto; padding: 0 1em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            img { max-width: 100%; border: 1px solid #ddd; }
            p.read { background: #f4f6fa; padding: 0.6em 0.9em; border-left: 3px solid #4a6fa5; }
            .columns { display: flex; gap: 2em; flex-wrap: wrap; }
            </style>
            </head>
            <body>
            <h1>Run report: {{E(run)}}</h1>

            """);
        html.Append("<div class=\"columns\">\n<div>\n<h2>Final figures</h2>\n");
        Table(html, ["", "value"], FinalFigures(recorder, extra).Select(r => new[] { r.Name, r.Value }), numericFrom: 1);
        html.Append("</div>\n<div>\n<h2>Configuration</h2>\n");
        Table(html, ["setting", "value"], configuration.Rows().Select(r => new[] { r.Name, r.Value }), numericFrom: 2);
        html.Append("</div>\n</div>\n");
        LayerTable(html, recorder);
        foreach (var plot in plots)
        {
            string data = Convert.ToBase64String(File.ReadAllBytes(plot.Path));
            html.Append($"<h2 id=\"{E(Path.GetFileNameWithoutExtension(plot.Name))}\">{E(plot.Title)}</h2>\n<img src=\"data:image/png;base64,{data}\" alt=\"{E(plot.Title)}\" width=\"{RunPlots.Width}\" height=\"{RunPlots.Height}\"/>\n");
            html.Append($"<p class=\"read\"><b>How to read this.</b> {E(plot.HowToRead)}</p>\n");
        }
        if (recorder.LayerSamples.Count == 0)
            html.Append("<p>No per-layer statistics were recorded (the recorder's <code>LayerStatisticsEvery</code> was 0), so there is no update/weight ratio plot.</p>\n");
        if (recorder.Activations.Count == 0)
            html.Append("<p>No activation histograms were recorded (<code>RunRecorder.AddActivations</code> was not called).</p>\n");
        html.Append("</body>\n</html>\n");
        Directory.CreateDirectory(directory);
        string path = Path.GetFullPath(Path.Combine(directory, FileName));
        File.WriteAllText(path, html.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    private static IEnumerable<(string Name, string Value)> FinalFigures(RunRecorder recorder, IEnumerable<KeyValuePair<string, string>>? extra)
    {
        if (recorder.Epochs.Count > 0)
        {
            var last = recorder.Epochs[^1];
            var best = recorder.Epochs.MaxBy(e => e.ValidationAccuracy)!;
            yield return ("epochs", recorder.Epochs.Count.ToString(CultureInfo.InvariantCulture));
            yield return ("train loss (with L2)", G(last.TrainLoss));
            yield return ("train data loss (without L2)", G(last.TrainDataLoss));
            yield return ("train accuracy", P(last.TrainAccuracy));
            yield return ("validation loss", G(last.ValidationLoss));
            yield return ("validation accuracy", P(last.ValidationAccuracy));
            yield return ("train - validation accuracy", $"{100 * (last.TrainAccuracy - last.ValidationAccuracy):+0.00;-0.00} points");
            yield return ("best validation accuracy", $"{P(best.ValidationAccuracy)} (epoch {best.Epoch})");
            yield return ("training time", $"{recorder.Epochs.Sum(e => e.Seconds):F1} s");
        }
        yield return ("steps", recorder.Steps.Count.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var (name, value) in extra ?? []) yield return (name, value);
    }

    private static void LayerTable(StringBuilder html, RunRecorder recorder)
    {
        if (recorder.LayerSamples.Count == 0) return;
        long step = recorder.LayerSamples[^1].Step;
        var last = recorder.LayerSamples.Where(s => s.Step == step).ToArray();
        html.Append($"<h2>Layers at the last statistics step ({step:N0})</h2>\n");
        Table(html, ["layer", "activation", "|W|", "|dW|", "|update| / |W|", "output mean", "output std", "dead", "saturated"],
            last.Select(s => new[]
            {
                recorder.LayerNames[s.Layer], s.Layer < recorder.LayerActivations.Count ? recorder.LayerActivations[s.Layer].ToString() : "",
                G(s.WeightNorm), G(s.GradientNorm), s.UpdateRatio.ToString("0.00e+0", CultureInfo.InvariantCulture),
                G(s.ActivationMean), G(s.ActivationStd),
                s.DeadFraction is { } d ? P(d) : "–", s.SaturatedFraction is { } f ? P(f) : "–",
            }), numericFrom: 2);
        html.Append("<p class=\"read\"><b>How to read this.</b> The update/weight ratio should be near 1e-3. \"Dead\" (ReLU family) is the share of units " +
                    "that were inactive on every row of the batch: above a few percent, lower the learning rate or try leaky ReLU. \"Saturated\" (tanh, sigmoid) " +
                    "is the share of outputs in the flat tails, where gradients vanish: batch norm or a smaller initialisation helps.</p>\n");
    }

    private static void Table(StringBuilder html, string[] header, IEnumerable<string[]> rows, int numericFrom)
    {
        html.Append("<table>\n<tr>");
        foreach (var h in header) html.Append($"<th>{E(h)}</th>");
        html.Append("</tr>\n");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (int i = 0; i < row.Length; i++)
                html.Append(i >= numericFrom ? $"<td class=\"n\">{E(row[i])}</td>" : $"<td>{E(row[i])}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    // HtmlEncode writes only &lt; &gt; &amp; &quot; &#39; and numeric references: all valid XML too.
    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %";
}
