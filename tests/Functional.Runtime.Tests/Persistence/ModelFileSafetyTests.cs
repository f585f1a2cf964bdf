// Tests that a model file is never replaced by one that will not load, that crafted files with a valid checksum are refused clearly, and that saves leave nothing behind.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Functional.Data;
using Functional.Persistence;
using Functional.Tests.Data;

namespace Functional.Tests.Persistence;

public sealed class ModelFileSafetyTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>A 3-4-2 network with batch norm on the hidden layer, laid out as the generator would.</summary>
    private static NetworkLayout Layout() => new("SmallNet", 3, 2, 3 * 4 + 4 + 4 * 2 + 2, 2 * 4,
    [
        new LayerLayout("Hidden", new DenseLayout(3, 4, 1, 0, 12, RunningMeanOffset: 0, RunningVarianceOffset: 4)),
        new LayerLayout("Scores", DenseLayout.Plain(16, 4, 2)),
    ]);

    private static ModelFile.ModelContents Contents(float scale = 1f)
    {
        var layout = Layout();
        var parameters = Enumerable.Range(0, layout.ParameterCount).Select(i => scale * (i - 10) / 7f).ToArray();
        var buffers = Enumerable.Range(0, layout.BufferCount).Select(i => 1f + i / 8f).ToArray();
        var data = Dataset.Create("d", [.. Enumerable.Range(0, 30).Select(i => (float)Math.Sin(i))], [.. Enumerable.Range(0, 10).Select(i => i % 2)], 3, 2).ThrowIfFail();
        return new(layout, parameters, buffers, Preprocess.Standardize(Granularity.PerFeature).Fit(data));
    }

    private string Saved(string name = "model.fnm")
    {
        string path = Path.Combine(dir.Path, name);
        IdxScratch.Value(ModelFile.Write(path, Contents()));
        return path;
    }

    private static string Message<T>(LanguageExt.Fin<T> result) => IdxScratch.Message(result);

    [Theory]
    [InlineData(float.NaN, 5, "Hidden.W[5] = NaN")]
    [InlineData(float.PositiveInfinity, 17, "Scores.W[1] = Infinity")]
    [InlineData(float.NegativeInfinity, 24, "Scores.b[0] = -Infinity")]
    public void A_non_finite_parameter_is_refused_and_the_good_file_kept(float value, int index, string named)
    {
        string path = Saved();
        var good = File.ReadAllBytes(path);
        var diverged = Contents();
        diverged.Parameters[index] = value;

        var message = Message(ModelFile.Write(path, diverged));

        Assert.StartsWith($"{path}: not saved: {named}", message);
        Assert.Contains("previous file there is unchanged", message);
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.True(ModelFile.Read(path, Layout(), "SmallNet").IsSucc);
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_non_finite_running_statistic_is_refused()
    {
        var diverged = Contents();
        diverged.Buffers[6] = float.NaN;
        Assert.Contains("Hidden.running variance[2] = NaN", Message(ModelFile.Write(Path.Combine(dir.Path, "m.fnm"), diverged)));
    }

    [Fact]
    public void Empty_paths_are_named_as_such()
    {
        Assert.Contains("no file name given", Message(ModelFile.Write("", Contents())));
        Assert.Contains("no file name given", Message(ModelFile.Read("  ", Layout(), "SmallNet")));
    }

    [Fact]
    public void Temporary_files_of_killed_saves_are_removed_and_those_of_running_ones_kept()
    {
        string path = Saved();
        // Linux's pids stop at 4,194,304, so this process cannot exist; pid 1 always does.
        string abandoned = dir.Write("model.fnm.tmp-99999999-0123456789abcdef", new byte[1000]);
        string running = dir.Write("model.fnm.tmp-1-0123456789abcdef", new byte[1000]);
        string unrelated = dir.Write("other.fnm.tmp-99999999-0123456789abcdef", new byte[10]);

        IdxScratch.Value(ModelFile.Write(path, Contents(scale: 2f)));

        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(running));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public void A_wrong_file_is_refused_from_its_first_bytes_whatever_its_size()
    {
        // A sparse 3 GB file costs no disk; reading it whole would need 3 GB of memory.
        string huge = Path.Combine(dir.Path, "disk.img");
        using (var file = new FileStream(huge, FileMode.CreateNew)) file.SetLength(3L << 30);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var message = Message(ModelFile.Read(huge, Layout(), "SmallNet"));

        Assert.Equal($"{huge}: not a Functional model file (it does not start with the model file signature)", message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the reader allocated a megabyte or more for a file it refused");

        // The right signature on a file larger than any model: refused by size, still without reading it.
        string big = Path.Combine(dir.Path, "big.fnm");
        using (var file = new FileStream(big, FileMode.CreateNew))
        {
            file.Write(ModelFile.Encode(Contents()).AsSpan(0, 12));
            file.SetLength(ModelFile.MaxFileBytes + 1);
        }
        Assert.Contains("more than a model file may hold", Message(ModelFile.Read(big, Layout(), "SmallNet")));
    }

    public static TheoryData<string, string, string> CraftedHeads => new()
    {
        { "the head is an array", "[1, 2, 3]", "the HEAD section is JSON but not an object (array)" },
        { "the head is a number", "42", "the HEAD section is JSON but not an object (number)" },
        { "the network is a string", """{"network": "SmallNet", "pipeline": {}}""", "HEAD's network layout is a JSON string, not an object" },
        { "the network is an array", """{"network": [1], "pipeline": {}}""", "HEAD's network layout is a JSON array, not an object" },
        { "a key appears twice", """{"network": {}, "network": {}}""", "the HEAD section is not valid JSON" },
        { "the JSON is cut", """{"network": {""", "the HEAD section is not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(CraftedHeads))]
    public void A_crafted_head_with_a_valid_checksum_is_refused_clearly(string _, string head, string expected)
    {
        var crafted = WithHead(ModelFile.Encode(Contents()), Encoding.UTF8.GetBytes(head));
        var message = Message(ModelFile.Decode(crafted, "crafted.fnm", Layout(), "SmallNet"));
        Assert.StartsWith("crafted.fnm: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void A_head_that_is_not_utf8_is_refused_naming_the_byte()
    {
        var head = Encoding.UTF8.GetBytes("""{"format": "Functional model", "x": "??"}""");
        head[^4] = 0xC3; // a lead byte followed by an ASCII quote: invalid UTF-8
        var message = Message(ModelFile.Decode(WithHead(ModelFile.Encode(Contents()), head), "bad.fnm", Layout(), "SmallNet"));
        Assert.Equal($"bad.fnm: corrupt: the HEAD section is not valid UTF-8 (byte {head.Length - 4})", message);
    }

    [Theory]
    [InlineData("\"kind\": 5", "pipeline: kind should be a string, not number")]
    [InlineData("\"settings\": {\"inputs\": 3}", "pipeline: setting inputs should be a string, not number")]
    [InlineData("\"arrays\": {\"x\": [1]}", "pipeline: array x should be an object with an offset and a length, not array")]
    [InlineData("\"arrays\": {\"x\": {\"offset\": 9223372036854775807, \"length\": 9223372036854775807}}", "lies outside the PIPE section")]
    [InlineData("\"arrays\": {\"x\": {\"offset\": \"zero\", \"length\": 1}}", "array x's offset should be a whole number, not string")]
    [InlineData("\"arrays\": {\"x\": {\"offset\": 0.5, \"length\": 1}}", "array x's offset should be a whole number, not number")]
    [InlineData("\"parts\": [7]", "step 1 is not a JSON object")]
    public void A_crafted_pipeline_with_a_valid_checksum_is_refused_clearly(string member, string expected)
    {
        var encoded = ModelFile.Encode(Contents());
        var head = System.Text.Json.Nodes.JsonNode.Parse(ReadHead(encoded))!.AsObject();
        var pipeline = head["pipeline"]!.AsObject();
        var replacement = System.Text.Json.Nodes.JsonNode.Parse("{" + member + "}")!.AsObject();
        foreach (var (key, value) in replacement.ToList())
        {
            replacement.Remove(key);
            pipeline[key] = value;
        }
        var message = Message(ModelFile.Decode(WithHead(encoded, Encoding.UTF8.GetBytes(head.ToJsonString())), "p.fnm", Layout(), "SmallNet"));
        Assert.StartsWith("p.fnm: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void A_crafted_file_cannot_make_an_error_message_long()
    {
        var encoded = ModelFile.Encode(Contents());
        var head = System.Text.Json.Nodes.JsonNode.Parse(ReadHead(encoded))!.AsObject();
        head["network"]!["name"] = new string('x', 1_000_000);
        var message = Message(ModelFile.Decode(WithHead(encoded, Encoding.UTF8.GetBytes(head.ToJsonString())), "long.fnm", Layout(), "SmallNet"));
        Assert.StartsWith("long.fnm: saved from network", message);
        Assert.True(message.Length < 1000, $"a {message.Length:N0}-character message");
    }

    // ---------------------------------------------------------------- crafting files

    /// <summary>The payload of the HEAD section (the first one).</summary>
    internal static byte[] ReadHead(byte[] file)
    {
        Assert.Equal("HEAD", Encoding.ASCII.GetString(file, 12, 4));
        int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(16)));
        return file.AsSpan(24, length).ToArray();
    }

    /// <summary>The file with its HEAD payload replaced and the END checksum made valid again, as a crafted file would be.</summary>
    internal static byte[] WithHead(byte[] file, byte[] head)
    {
        int oldLength = ReadHead(file).Length;
        var header = new byte[12];
        Encoding.ASCII.GetBytes("HEAD", header);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(4), (ulong)head.Length);
        int rest = 24 + oldLength, end = file.Length - 12 - 32;
        byte[] body = [.. file.AsSpan(0, 12), .. header, .. head, .. file.AsSpan(rest, end - rest)];
        return [.. body, .. file.AsSpan(end, 12), .. SHA256.HashData(body)];
    }
}
