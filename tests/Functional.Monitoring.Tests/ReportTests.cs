// The HTML report of a real short run: well-formed, every picture embedded as a real PNG, and (with chromium) a screenshot that is not blank.
using System.Diagnostics;
using System.Xml;
using System.Xml.Linq;
using SkiaSharp;
using Xunit.Abstractions;

namespace Functional.Monitoring.Tests;

public sealed class ReportTests(ITestOutputHelper output)
{
    private static readonly XNamespace Html = "http://www.w3.org/1999/xhtml";
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void A_real_run_gives_one_self_contained_report_with_every_picture_and_a_real_screenshot()
    {
        string folder = Folders.Fresh("report");
        var run = Run.Train(folder);
        string path = RunReport.Write(folder, run.Recorder, run.Configuration,
            [new("test accuracy", $"{100 * run.Test.Accuracy:F2} % of {run.Test.Count:N0}"), new("test loss", $"{run.Test.Loss:F4}")]);
        output.WriteLine($"report: {path}");

        Assert.Equal(Path.Combine(folder, RunReport.FileName), path);
        string[] pictures = ["loss.png", "epoch-loss.png", "accuracy.png", "update-ratio.png", "activations-hidden.png", "activations-scores.png"];
        Assert.Equal(pictures.Order(), Directory.GetFiles(folder, "*.png").Select(Path.GetFileName).Order());

        // Well-formed: it parses as XML, so every tag is closed and every entity is one XML knows.
        var html = XDocument.Load(XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
        var images = html.Descendants(Html + "img").ToArray();
        Assert.Equal(pictures.Length, images.Length);
        foreach (var (image, name) in images.Zip(pictures))
        {
            string src = image.Attribute("src")!.Value;
            Assert.StartsWith("data:image/png;base64,", src);
            byte[] png = Convert.FromBase64String(src["data:image/png;base64,".Length..]);
            Assert.Equal(PngSignature, png[..8]);
            // The embedded picture is the file on disk, and it has content (axes, text, lines), not a blank canvas.
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, name)), png);
            var (colours, nonWhite) = Pixels(png);
            output.WriteLine($"{name}: {png.Length:N0} bytes, {colours} colours, {nonWhite:P1} non-white");
            Assert.True(colours > 20 && nonWhite > 0.01, $"{name} looks blank: {colours} colours, {nonWhite:P1} non-white");
        }
        string text = html.Root!.Value;
        // One per picture and one for the layer table.
        Assert.Equal(pictures.Length + 1, html.Descendants(Html + "p").Count(p => p.Value.StartsWith("How to read this.", StringComparison.Ordinal)));
        foreach (var expected in new[] { "MonitoredMlp", "SGD momentum 0.9", "cosine from 0.01", "train data loss (without L2)", "validation accuracy", "test accuracy", "momentum", "|update| / |W|", "Hidden" })
            Assert.Contains(expected, text);
        Assert.Contains(run.Configuration.Data!, text);

        Screenshot(path, folder);
    }

    private void Screenshot(string report, string folder)
    {
        string? chromium = FindOnPath("chromium");
        if (chromium is null)
        {
            output.WriteLine("screenshot skipped: the screenshot part of this test needs chromium on PATH (apt-get install -y chromium); the HTML checks above ran");
            return;
        }
        string screenshot = Path.Combine(folder, "screenshot.png");
        var start = new ProcessStartInfo(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--screenshot={screenshot}", "--window-size=1200,1600", new Uri(report).AbsoluteUri])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish the screenshot in 90 s");
        }
        Assert.True(File.Exists(screenshot), $"chromium wrote no screenshot (exit {process.ExitCode}): {stderr.Result}");
        var (colours, nonWhite) = Pixels(File.ReadAllBytes(screenshot));
        output.WriteLine($"screenshot: {screenshot}: {colours} colours, {nonWhite:P1} non-white");
        // Text, tables and plots give thousands of colours (anti-aliasing) and a fair share of ink; a blank page gives one colour.
        Assert.True(colours > 200 && nonWhite > 0.05, $"the screenshot looks blank: {colours} colours, {nonWhite:P1} non-white");
    }

    private static (int Colours, double NonWhite) Pixels(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png) ?? throw new InvalidDataException("not a decodable PNG");
        var colours = new HashSet<uint>();
        long nonWhite = 0;
        foreach (var pixel in bitmap.Pixels)
        {
            colours.Add((uint)pixel);
            if (pixel.Red < 245 || pixel.Green < 245 || pixel.Blue < 245) nonWhite++;
        }
        return (colours.Count, (double)nonWhite / bitmap.Pixels.Length);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
