// A small seeded mutation fuzzer for file readers: every case is a pure function of (seed input, seed, iteration), so any failure replays.
using System.Buffers.Binary;
using System.IO.Compression;

namespace Functional.Tests.Fuzz;

/// <summary>
/// Mutates a valid input into many near-valid ones, the kind that reaches deep into a reader before it goes wrong.
/// Each case draws from its own generator seeded by (seed, iteration), so a failure at iteration 41,207 is replayed
/// with <see cref="Case"/> alone, without running the 41,206 cases before it. Reusable for any reader: IDX, CSV and
/// model files feed it their own seed inputs and, optionally, tokens of their format.
/// </summary>
public static class Mutator
{
    /// <summary>How many cases each fuzz test runs; the default keeps CI fast, a long run sets it (docs/reliability.md).</summary>
    public const string IterationsVariable = "FUNCTIONAL_FUZZ_ITERATIONS";

    /// <summary>Overrides every fuzz test's seed, to explore beyond the cases CI replays.</summary>
    public const string SeedVariable = "FUNCTIONAL_FUZZ_SEED";

    // 32-bit values where size arithmetic breaks: empty, one, 2^30 (whose square times 16 wraps to 0), the signed and
    // unsigned limits.
    private static readonly uint[] InterestingInts = [0, 1, 2, 0x4000_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFF, 0x100, 0xFFFF];
    private static readonly byte[] InterestingBytes = [0x00, 0xFF, 0x7F, 0x80];

    /// <summary>The iteration count: $FUNCTIONAL_FUZZ_ITERATIONS when set to a positive number, else <paramref name="defaultCount"/>.</summary>
    public static int Iterations(int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), out int n) && n > 0 ? n : defaultCount;

    /// <summary>$FUNCTIONAL_FUZZ_SEED when set, else <paramref name="defaultSeed"/> (fixed, so CI runs the same cases every time).</summary>
    public static int Seed(int defaultSeed) =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), out int s) ? s : defaultSeed;

    /// <summary><paramref name="count"/> mutants of <paramref name="seedInput"/>, each with 1–4 stacked byte-level mutations.</summary>
    public static IEnumerable<(int Iteration, byte[] Input)> Mutations(byte[] seedInput, int seed, int count, IReadOnlyList<byte[]>? tokens = null)
    {
        for (int i = 0; i < count; i++) yield return (i, Case(seedInput, seed, i, tokens));
    }

    /// <summary>The mutant <see cref="Mutations"/> yields at <paramref name="iteration"/>.</summary>
    public static byte[] Case(byte[] seedInput, int seed, int iteration, IReadOnlyList<byte[]>? tokens = null) =>
        Mutate(seedInput, Generator(seed, iteration), tokens);

    /// <summary>
    /// Mutants of the gzip compression of <paramref name="rawSeed"/>: half mutate the decompressed body and compress
    /// it again (well-formed gzip around bad content, which reaches the parser), half mutate the compressed bytes
    /// (bad gzip: corrupt blocks, cut trailers, wrong CRCs).
    /// </summary>
    public static IEnumerable<(int Iteration, byte[] Input)> GzipMutations(byte[] rawSeed, int seed, int count)
    {
        var compressed = Gzip(rawSeed);
        for (int i = 0; i < count; i++) yield return (i, GzipCase(rawSeed, compressed, seed, i));
    }

    /// <summary>The mutant <see cref="GzipMutations"/> yields at <paramref name="iteration"/>.</summary>
    public static byte[] GzipCase(byte[] rawSeed, int seed, int iteration) => GzipCase(rawSeed, Gzip(rawSeed), seed, iteration);

    private static byte[] GzipCase(byte[] rawSeed, byte[] compressed, int seed, int iteration)
    {
        var random = Generator(seed, iteration);
        return random.NextInt(2) == 0 ? Gzip(Mutate(rawSeed, random, null)) : Mutate(compressed, random, null);
    }

    /// <summary>
    /// Runs <paramref name="check"/> on every case; the first that throws (a contract assertion or an exception escaping
    /// the reader) fails with what replays it: the seed, the iteration, and the input saved to a file ready to be kept
    /// as a reproducer. Returns the number of cases run.
    /// </summary>
    public static int Run(string what, int seed, IEnumerable<(int Iteration, byte[] Input)> cases, Action<byte[]> check)
    {
        int run = 0;
        foreach (var (iteration, input) in cases)
        {
            try
            {
                check(input);
            }
            catch (Exception e)
            {
                string saved = Path.Combine(Path.GetTempPath(), $"functional-fuzz-{what.Replace(' ', '-')}-{seed}-{iteration}.bin");
                File.WriteAllBytes(saved, input);
                throw new Xunit.Sdk.XunitException(
                    $"{what}: seed {seed}, iteration {iteration} ({input.Length} bytes, saved to {saved}; " +
                    $"replay it alone with Mutator.Case or GzipCase(seed input, {seed}, {iteration})) failed: {e}");
            }
            run++;
        }
        return run;
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(raw);
        return output.ToArray();
    }

    // Mixing the iteration into the seed (rather than drawing cases from one stream) is what makes a single case replayable.
    private static SeededRandom Generator(int seed, int iteration) => new(((long)seed << 32) ^ (uint)iteration ^ 0x5DEECE66DL);

    private static byte[] Mutate(byte[] input, SeededRandom random, IReadOnlyList<byte[]>? tokens)
    {
        var bytes = new List<byte>(input);
        int steps = 1 + random.NextInt(4);
        for (int s = 0; s < steps; s++) MutateOnce(bytes, random, tokens);
        return [.. bytes];
    }

    private static void MutateOnce(List<byte> bytes, SeededRandom random, IReadOnlyList<byte[]>? tokens)
    {
        int Position(int extra = 0) => random.NextInt(bytes.Count + extra);
        int kinds = tokens is { Count: > 0 } ? 8 : 7;
        switch (bytes.Count == 0 ? 3 : random.NextInt(kinds))
        {
            case 0: // flip one bit
                {
                    int at = Position();
                    bytes[at] ^= (byte)(1 << random.NextInt(8));
                    break;
                }
            case 1: // a byte set to a boundary value
                bytes[Position()] = InterestingBytes[random.NextInt(InterestingBytes.Length)];
                break;
            case 2: // cut the input short
                {
                    int at = Position();
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                }
            case 3: // insert 1–8 random bytes
                {
                    int at = Position(1), n = 1 + random.NextInt(8);
                    for (int k = 0; k < n; k++) bytes.Insert(at, (byte)random.NextInt(256));
                    break;
                }
            case 4: // delete a run of up to 16 bytes
                {
                    int at = Position();
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.NextInt(16)));
                    break;
                }
            case 5: // duplicate a chunk elsewhere (repeated records, doubled headers)
                {
                    int from = Position(), n = Math.Min(bytes.Count - from, 1 + random.NextInt(64));
                    bytes.InsertRange(Position(1), bytes.GetRange(from, n));
                    break;
                }
            case 6: // a 32-bit header integer replaced by a value where size arithmetic breaks
                {
                    if (bytes.Count < 4) goto case 0;
                    // Headers sit at 4-byte offsets near the start; aim there three times out of four.
                    int at = random.NextInt(4) != 0 ? 4 * random.NextInt(Math.Min(8, bytes.Count / 4)) : random.NextInt(bytes.Count - 3);
                    Span<byte> value = stackalloc byte[4];
                    uint v = InterestingInts[random.NextInt(InterestingInts.Length)];
                    if (random.NextInt(2) == 0) BinaryPrimitives.WriteUInt32BigEndian(value, v);
                    else BinaryPrimitives.WriteUInt32LittleEndian(value, v);
                    for (int k = 0; k < 4; k++) bytes[at + k] = value[k];
                    break;
                }
            default: // a token of the format (a quote, a delimiter, "NaN") inserted or written over
                {
                    var token = tokens![random.NextInt(tokens.Count)];
                    int at = Position(1);
                    if (random.NextInt(2) == 0 || at + token.Length > bytes.Count) bytes.InsertRange(at, token);
                    else
                        for (int k = 0; k < token.Length; k++) bytes[at + k] = token[k];
                    break;
                }
        }
    }
}
