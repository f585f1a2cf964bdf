// Tests of the model file: round trips of parameters, buffers and pipelines, and a file-naming error for every cut or flipped byte.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Functional.Data;
using Functional.Persistence;
using Functional.Tests.Data;

namespace Functional.Tests.Preprocessing;

public sealed class ModelFileTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>A 6-4-3 network's layout, written out by hand as the generator would describe it.</summary>
    private static NetworkLayout Layout(int hidden = 4) => new("TinyNet", 6, 3, 6 * hidden + hidden + hidden * 3 + 3, 2 * hidden,
    [
        new LayerLayout("Hidden", new DenseLayout(6, hidden, 1, 0, 6 * hidden, RunningMeanOffset: 0, RunningVarianceOffset: hidden)),
        new LayerLayout("Scores", DenseLayout.Plain(6 * hidden + hidden, hidden, 3)),
    ]);

    private static ModelFile.ModelContents Contents(int pipelineRows = 30)
    {
        var layout = Layout();
        var random = new SeededRandom(5);
        var parameters = Enumerable.Range(0, layout.ParameterCount).Select(_ => (float)random.NextGaussian()).ToArray();
        var buffers = Enumerable.Range(0, layout.BufferCount).Select(_ => (float)random.NextDouble()).ToArray();
        var train = new Shape(pipelineRows, 8, Seed: 2).Build();
        var pipeline = Preprocess.Standardize(Granularity.PerChannel(2)).Then(Preprocess.ZcaWhiten(0.1)).Then(Preprocess.Pca(6)).Fit(train);
        return new(layout, parameters, buffers, pipeline);
    }

    private static string Message<T>(LanguageExt.Fin<T> result) => IdxScratch.Message(result);

    [Fact]
    public void A_model_and_its_pipeline_round_trip_bit_for_bit()
    {
        var saved = Contents();
        string path = Path.Combine(dir.Path, "tiny" + ModelFile.Extension);
        IdxScratch.Value(ModelFile.Write(path, saved));

        var loaded = IdxScratch.Value(ModelFile.Read(path, Layout(), "TinyNet"));
        Assert.Equal(saved.Parameters, loaded.Parameters);
        Assert.Equal(saved.Buffers, loaded.Buffers);
        Assert.Equal(saved.Pipeline, loaded.Pipeline);
        var data = new Shape(30, 8, Seed: 2).BuildOther(rows: 10, seed: 9);
        Assert.Equal(saved.Pipeline.Apply(data).Features.ToArray(), loaded.Pipeline.Apply(data).Features.ToArray());
        // Nothing but the model itself is left in the directory: the temporary file was renamed, not copied.
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void An_empty_pipeline_round_trips()
    {
        var saved = Contents() with { Pipeline = Preprocess.None.Fit(new Shape(10, 6, 1).Build()) };
        var loaded = IdxScratch.Value(ModelFile.Decode(ModelFile.Encode(saved), "m", Layout(), "TinyNet"));
        Assert.Empty(loaded.Pipeline.Steps);
        Assert.Equal(6, loaded.Pipeline.InputCount);
    }

    [Fact]
    public void A_file_from_another_network_is_refused_with_the_difference_spelled_out()
    {
        string path = Path.Combine(dir.Path, "tiny.fnm");
        IdxScratch.Value(ModelFile.Write(path, Contents()));

        var message = Message(ModelFile.Read(path, Layout(hidden: 5), "WiderNet"));
        Assert.StartsWith($"{path}: saved from network TinyNet, whose layout differs from WiderNet's", message);
        Assert.Contains("parameterCount 43 in the file, 53 in WiderNet", message);
        Assert.Contains("layer 1 is Hidden 6→4 in the file, Hidden 6→5 in WiderNet", message);
    }

    [Fact]
    public void Every_truncation_is_an_error_naming_the_file()
    {
        var bytes = ModelFile.Encode(Contents(pipelineRows: 20));
        for (int length = 0; length < bytes.Length; length++)
        {
            var message = Message(ModelFile.Decode(bytes[..length], "cut.fnm", Layout(), "TinyNet"));
            Assert.StartsWith("cut.fnm: ", message);
            if (length == 0) Assert.Contains("empty", message);
            else Assert.Contains("truncated", message);
        }
    }

    [Fact]
    public void Every_flipped_byte_is_an_error_naming_the_file()
    {
        var bytes = ModelFile.Encode(Contents(pipelineRows: 20));
        for (int i = 0; i < bytes.Length; i++)
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[i] ^= 0x10;
            Assert.StartsWith("flip.fnm: ", Message(ModelFile.Decode(corrupt, "flip.fnm", Layout(), "TinyNet")));
        }
        // A flip inside a payload is caught by the checksum, with that said.
        var payload = (byte[])bytes.Clone();
        payload[bytes.Length - 60] ^= 1;
        Assert.Contains("checksum", Message(ModelFile.Decode(payload, "flip.fnm", Layout(), "TinyNet")));
    }

    [Fact]
    public void Other_files_and_newer_versions_are_named_as_such()
    {
        Assert.Contains("not a Functional model file", Message(ModelFile.Decode("{\"json\": 1}"u8.ToArray(), "x.json", Layout(), "TinyNet")));

        var unix2dos = ModelFile.Encode(Contents()).ToList();
        unix2dos.Insert(7, 0x0D);
        Assert.Contains("line-ending bytes were changed", Message(ModelFile.Decode([.. unix2dos], "m.fnm", Layout(), "TinyNet")));

        var newer = ModelFile.Encode(Contents());
        BinaryPrimitives.WriteUInt32LittleEndian(newer.AsSpan(8), 2);
        Assert.Equal("m.fnm: model file format version 2; this Functional reads version 1 (the file was written by a newer Functional)",
                     Message(ModelFile.Decode(newer, "m.fnm", Layout(), "TinyNet")));

        string missing = Path.Combine(dir.Path, "nope.fnm");
        Assert.Equal($"{missing}: file not found", Message(ModelFile.Read(missing, Layout(), "TinyNet")));
    }

    [Fact]
    public void Ancillary_sections_are_skipped_and_unknown_required_ones_refused()
    {
        var bytes = ModelFile.Encode(Contents());
        var withNotes = WithSectionBeforeEnd(bytes, "note", "trained for 10 epochs"u8.ToArray());
        var loaded = IdxScratch.Value(ModelFile.Decode(withNotes, "m.fnm", Layout(), "TinyNet"));
        Assert.Equal(Contents().Parameters, loaded.Parameters);

        var withRequired = WithSectionBeforeEnd(bytes, "BNRM", new byte[16]);
        Assert.Contains("unknown required section BNRM", Message(ModelFile.Decode(withRequired, "m.fnm", Layout(), "TinyNet")));
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_and_no_temporary_one()
    {
        string path = Path.Combine(dir.Path, "model.fnm");
        IdxScratch.Value(ModelFile.Write(path, Contents()));
        var before = File.ReadAllBytes(path);

        // A directory in the way of the rename makes the final step fail after the temporary file was written.
        string blocked = Path.Combine(dir.Path, "blocked.fnm");
        Directory.CreateDirectory(blocked);
        var message = Message(ModelFile.Write(blocked, Contents()));
        Assert.StartsWith($"{blocked}: cannot be written", message);
        Assert.Equal([path], Directory.GetFiles(dir.Path));

        // Overwriting replaces the file whole.
        IdxScratch.Value(ModelFile.Write(path, Contents(pipelineRows: 40)));
        Assert.NotEqual(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    /// <summary>Inserts a section before END and re-seals the file with a fresh checksum.</summary>
    private static byte[] WithSectionBeforeEnd(byte[] file, string tag, byte[] payload)
    {
        int end = file.Length - 12 - 32;
        Assert.Equal("END ", Encoding.ASCII.GetString(file, end, 4));
        var header = new byte[12];
        Encoding.ASCII.GetBytes(tag, header);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(4), (ulong)payload.Length);
        byte[] body = [.. file.AsSpan(0, end), .. header, .. payload];
        var endHeader = file.AsSpan(end, 12).ToArray();
        return [.. body, .. endHeader, .. SHA256.HashData(body)];
    }
}
