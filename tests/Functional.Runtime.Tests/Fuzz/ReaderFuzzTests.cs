// Fuzz tests of the IDX and CSV readers (bounded for CI, longer by $FUNCTIONAL_FUZZ_ITERATIONS), and the replay of every kept reproducer.
using System.Diagnostics;
using System.Text;
using Functional.Tests.Data;
using Xunit.Abstractions;

namespace Functional.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public sealed class ReaderFuzzTests(ITestOutputHelper output)
{
    // Each test stays within a few seconds on this machine at the default count (see docs/reliability.md).
    private const int DefaultIterations = 5000;

    private static readonly byte[] ImageSeed = IdxScratch.Images(count: 3, rows: 4, columns: 5);
    private static readonly byte[] LabelSeed = IdxScratch.Labels(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);

    private static readonly byte[][] CsvSeeds =
    [
        Encoding.UTF8.GetBytes("label,a,b\n1,0.5,2\n3,\"4\",1e-3\r\n\n9,-1,\"2.5\"\n"),
        Encoding.UTF8.GetBytes("x;y;class\n\"1,5\";2;1\n0.25;\"a\"\"b\";0\n"),
        Encoding.UTF8.GetBytes("0\t1\t2\n1\t2\t0\n"),
    ];

    // Pieces of CSV that decide how it parses, so mutants quote, split and end rows in new places.
    private static readonly byte[][] CsvTokens =
        [.. new[] { "\"", ",", ";", "\t", "\n", "\r\n", "\r", "\"\"", "NaN", "1e39", "-", "label", "\uFEFF", " " }.Select(Encoding.UTF8.GetBytes), [0xFF], [0x00]];

    [Fact]
    public void Idx_images_raw() => Fuzz("idx images raw", 1501, Mutator.Mutations(ImageSeed, Seed(1501), Count), ReaderContracts.Images);

    [Fact]
    public void Idx_images_gzip() => Fuzz("idx images gzip", 1502, Mutator.GzipMutations(ImageSeed, Seed(1502), Count), ReaderContracts.Images);

    [Fact]
    public void Idx_labels_raw() => Fuzz("idx labels raw", 1503, Mutator.Mutations(LabelSeed, Seed(1503), Count), ReaderContracts.Labels);

    [Fact]
    public void Idx_labels_gzip() => Fuzz("idx labels gzip", 1504, Mutator.GzipMutations(LabelSeed, Seed(1504), Count), ReaderContracts.Labels);

    [Fact]
    public void Csv_text() => Fuzz("csv", 1505,
        CsvSeeds.SelectMany((seed, s) => Mutator.Mutations(seed, Seed(1505) + s, Count / CsvSeeds.Length, CsvTokens)), ReaderContracts.Csv);

    private static int Count => Mutator.Iterations(DefaultIterations);

    private static int Seed(int fixedSeed) => Mutator.Seed(fixedSeed);

    private void Fuzz(string what, int fixedSeed, IEnumerable<(int, byte[])> cases, Action<byte[]> contract)
    {
        var clock = Stopwatch.StartNew();
        int run = Mutator.Run(what, Seed(fixedSeed), cases, contract);
        output.WriteLine($"{what}: {run:N0} cases in {clock.Elapsed.TotalSeconds:F2} s ({run / clock.Elapsed.TotalSeconds:N0} cases/s)");
    }

    public static TheoryData<string> IdxReproducers => Reproducers("idx");

    public static TheoryData<string> CsvReproducers => Reproducers("csv");

    /// <summary>Every input that once broke a reader, replayed against the whole contract (both IDX readers for an IDX file).</summary>
    [Theory]
    [MemberData(nameof(IdxReproducers))]
    public void Kept_idx_reproducer_holds(string file)
    {
        var input = File.ReadAllBytes(Path.Combine(ReproducerRoot, "idx", file));
        ReaderContracts.Images(input);
        ReaderContracts.Labels(input);
    }

    [Theory]
    [MemberData(nameof(CsvReproducers))]
    public void Kept_csv_reproducer_holds(string file) =>
        ReaderContracts.Csv(File.ReadAllBytes(Path.Combine(ReproducerRoot, "csv", file)));

    private static string ReproducerRoot => Path.Combine(AppContext.BaseDirectory, "Fuzz", "Reproducers");

    private static TheoryData<string> Reproducers(string kind)
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(ReproducerRoot, kind)).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }
}
