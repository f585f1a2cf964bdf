// Fuzz tests of the model file reader: mutated bytes, and mutated sections re-sealed with a valid checksum so the mutants reach the JSON, float and pipeline checks behind it.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Functional.Data;
using Functional.Persistence;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Functional.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public sealed class ModelFileFuzzTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 3000;

    private static NetworkLayout Layout() => new("FuzzNet", 4, 3, 4 * 5 + 5 + 5 * 3 + 3, 10,
    [
        new LayerLayout("Hidden", new DenseLayout(4, 5, 1, 0, 20, RunningMeanOffset: 0, RunningVarianceOffset: 5)),
        new LayerLayout("Scores", DenseLayout.Plain(25, 5, 3)),
    ]);

    /// <summary>A real file: parameters, batch-norm buffers and a two-step fitted pipeline (standardisation, then PCA).</summary>
    private static readonly byte[] Seed = Build();

    private static byte[] Build()
    {
        var layout = Layout();
        var random = new SeededRandom(3);
        var train = Dataset.Create("train", [.. Enumerable.Range(0, 80).Select(_ => (float)random.NextGaussian())], [.. Enumerable.Range(0, 20).Select(i => i % 3)], 4, 3).ThrowIfFail();
        var pipeline = Preprocess.Standardize(Granularity.PerFeature).Then(Preprocess.Pca(4)).Fit(train);
        return ModelFile.Encode(new(layout,
            [.. Enumerable.Range(0, layout.ParameterCount).Select(i => i / 10f - 2)], [.. Enumerable.Range(0, layout.BufferCount).Select(i => 1f + i)], pipeline));
    }

    // Pieces of the HEAD's JSON that change its shape: brackets, quotes, the names of kinds and keys, odd numbers.
    private static readonly byte[][] JsonTokens =
        [.. new[] { "{", "}", "[", "]", "\"", ",", ":", "null", "true", "-1", "1e308", "9223372036854775807", "0.5", "\"kind\"", "\"offset\"",
                    "\"length\"", "\"parts\"", "\"settings\"", "\"FittedPipeline\"", "\"Pca\"", "\\u0000", "\\ud800" }.Select(Encoding.UTF8.GetBytes), [0xC3], [0xFF]];

    private static int Count => Mutator.Iterations(DefaultIterations);

    [Fact]
    public void Mutated_files() => Fuzz("model file bytes", 1601, Mutator.Mutations(Seed, Mutator.Seed(1601), Count));

    [Fact]
    public void Mutated_heads_with_a_valid_checksum() =>
        Fuzz("model file head", 1602, Mutator.Mutations(Section(Seed, "HEAD"), Mutator.Seed(1602), Count, JsonTokens)
            .Select(c => (c.Iteration, Resealed(Seed, "HEAD", c.Input))));

    [Fact]
    public void Mutated_parameters_and_pipelines_with_a_valid_checksum() =>
        Fuzz("model file sections", 1603,
            Mutator.Mutations(Section(Seed, "PARM"), Mutator.Seed(1603), Count / 2).Select(c => (c.Iteration, Resealed(Seed, "PARM", c.Input)))
                .Concat(Mutator.Mutations(Section(Seed, "PIPE"), Mutator.Seed(1604), Count / 2).Select(c => (c.Iteration, Resealed(Seed, "PIPE", c.Input)))));

    /// <summary>The contract: a model of the expected layout with finite numbers, or a clear one-line error naming the file; never an exception.</summary>
    private static void Contract(byte[] input)
    {
        var result = ModelFile.Decode(input, ReaderContracts.Name, Layout(), "FuzzNet");
        result.Match(
            Succ: m =>
            {
                if (m.Parameters.Length != Layout().ParameterCount || m.Buffers.Length != Layout().BufferCount)
                    throw new XunitException($"decoded {m.Parameters.Length} parameters and {m.Buffers.Length} buffers");
                if (Finite.IndexOfNonFinite(m.Parameters) >= 0 || Finite.IndexOfNonFinite(m.Buffers) >= 0)
                    throw new XunitException("decoded a non-finite number");
                if (m.Pipeline.OutputCount != 4) throw new XunitException($"a pipeline producing {m.Pipeline.OutputCount} features");
                return 0;
            },
            Fail: e => ReaderContracts.CheckMessage(e.Message));
    }

    private void Fuzz(string what, int fixedSeed, IEnumerable<(int, byte[])> cases)
    {
        Contract(Seed); // the unmutated file loads: the contract is not vacuous
        var clock = Stopwatch.StartNew();
        int run = Mutator.Run(what, Mutator.Seed(fixedSeed), cases, Contract);
        output.WriteLine($"{what}: {run:N0} cases in {clock.Elapsed.TotalSeconds:F2} s ({run / clock.Elapsed.TotalSeconds:N0} cases/s)");
    }

    public static TheoryData<string> Reproducers()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fuzz", "Reproducers", "model")).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    /// <summary>Every model file that once broke the reader (each crafted with a valid checksum), replayed.</summary>
    [Theory]
    [MemberData(nameof(Reproducers))]
    public void Kept_model_file_reproducer_holds(string file) =>
        Contract(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fuzz", "Reproducers", "model", file)));

    // ---------------------------------------------------------------- sections

    private static (int Start, int Length) Find(byte[] file, string tag)
    {
        int position = 12;
        while (position + 12 <= file.Length)
        {
            int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(position + 4)));
            if (Encoding.ASCII.GetString(file, position, 4) == tag) return (position, length);
            position += 12 + length;
        }
        throw new ArgumentException($"no {tag} section");
    }

    private static byte[] Section(byte[] file, string tag)
    {
        var (start, length) = Find(file, tag);
        return file.AsSpan(start + 12, length).ToArray();
    }

    /// <summary>The file with one section's payload replaced and the END checksum recomputed, as a crafted file would have it.</summary>
    internal static byte[] Resealed(byte[] file, string tag, byte[] payload)
    {
        var (start, length) = Find(file, tag);
        var header = file.AsSpan(start, 12).ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(4), (ulong)payload.Length);
        int end = file.Length - 12 - 32;
        byte[] body = [.. file.AsSpan(0, start), .. header, .. payload, .. file.AsSpan(start + 12 + length, end - start - 12 - length)];
        return [.. body, .. file.AsSpan(end, 12), .. SHA256.HashData(body)];
    }
}
