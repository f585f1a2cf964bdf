// Compares text with a committed Snapshots/{name}.verified.txt beside the test, Verify-style, without Verify.
using System.Runtime.CompilerServices;
using System.Text;

namespace Functional.Generators.Tests;

/// <summary>
/// Snapshot matching: exact, byte-for-byte text with LF endings. On a mismatch or a missing snapshot the actual
/// text is written to <c>{name}.received.txt</c> so it can be diffed and reviewed; setting
/// <c>FUNCTIONAL_ACCEPT_SNAPSHOTS=1</c> accepts it, overwriting <c>{name}.verified.txt</c>.
/// </summary>
internal static class Snapshot
{
    private const string AcceptVariable = "FUNCTIONAL_ACCEPT_SNAPSHOTS";
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void Match(string text, string name, [CallerFilePath] string path = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(path)!, "Snapshots");
        string verified = Path.Combine(directory, name + ".verified.txt");
        string received = Path.Combine(directory, name + ".received.txt");

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, text, Utf8NoBom);
            File.Delete(received);
            return;
        }

        if (!File.Exists(verified))
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(received, text, Utf8NoBom);
            Assert.Fail($"No snapshot {verified}.\nWrote the actual text to {received}: review it, then rename it to .verified.txt or rerun with {AcceptVariable}=1.");
        }

        // Bytes, not ReadAllText: a BOM or CRLF that crept into the file must show up as a difference.
        string expected = Utf8NoBom.GetString(File.ReadAllBytes(verified));
        if (expected == text)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, text, Utf8NoBom);
        Assert.Fail($"Snapshot mismatch: {verified}\n          received: {received}\n{FirstDifference(expected, text)}\n" +
                    $"Diff the two files; if the change is intended, rerun with {AcceptVariable}=1.");
    }

    /// <summary>"line N" plus both versions of the first line that differs, with control characters made visible.</summary>
    internal static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string? el = i < e.Length ? e[i] : null;
            string? al = i < a.Length ? a[i] : null;
            if (el != al)
                return $"first difference at line {i + 1}:\n  verified: {Show(el)}\n  received: {Show(al)}";
        }
        return "the texts differ only in ways splitting by lines does not show";
    }

    private static string Show(string? line) =>
        line is null ? "<end of file>" : line.Replace("\r", "\\r").Replace("\t", "\\t");
}
