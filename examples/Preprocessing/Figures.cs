// The figures of docs/preprocessing.md: the mean image and first principal components, and images before and after whitening.
using Functional.Data;

namespace PreprocessingExample;

internal static class Figures
{
    private const int Side = 28, Zoom = 3, Gap = 2;

    /// <summary>
    /// The mean image, then the first <paramref name="count"/> principal components as 28×28 tiles, row-major. A
    /// component's sign is arbitrary, so each tile maps 0 to mid-grey and ±max|u| to white/black.
    /// </summary>
    public static void Components(string path, Pca pca, int count, int columns)
    {
        var tiles = new List<float[]> { Stretch(pca.Mean.ToArray()) };
        for (int c = 0; c < count; c++) tiles.Add(Symmetric(pca.Components.Slice(c * pca.InputCount, pca.InputCount).ToArray()));
        Grid(path, tiles, columns);
    }

    /// <summary>One row per version of the same images (e.g. original, whitened with two ε), each tile stretched to its own range.</summary>
    public static void Rows(string path, IReadOnlyList<Dataset> versions, IReadOnlyList<int> rows)
    {
        var tiles = versions.SelectMany(v => rows.Select(r => Stretch(v.Row(r).ToArray()))).ToList();
        Grid(path, tiles, rows.Count);
    }

    private static float[] Stretch(float[] x)
    {
        float lo = x.Min(), hi = x.Max();
        return [.. x.Select(v => hi > lo ? (v - lo) / (hi - lo) : 0.5f)];
    }

    private static float[] Symmetric(float[] x)
    {
        float m = x.Max(Math.Abs);
        return [.. x.Select(v => m > 0 ? 0.5f + 0.5f * v / m : 0.5f)];
    }

    /// <summary>Tiles of 28×28 values in [0, 1], enlarged <see cref="Zoom"/> times, on a white background.</summary>
    private static void Grid(string path, IReadOnlyList<float[]> tiles, int columns)
    {
        int rows = (tiles.Count + columns - 1) / columns;
        int cell = Side * Zoom + Gap;
        int width = columns * cell + Gap, height = rows * cell + Gap;
        var pixels = new byte[width * height];
        Array.Fill(pixels, (byte)255);
        for (int t = 0; t < tiles.Count; t++)
        {
            int x0 = Gap + t % columns * cell, y0 = Gap + t / columns * cell;
            for (int y = 0; y < Side * Zoom; y++)
                for (int x = 0; x < Side * Zoom; x++)
                {
                    float v = tiles[t][y / Zoom * Side + x / Zoom];
                    // Fashion-MNIST draws garments light on black; keep that convention.
                    pixels[(y0 + y) * width + x0 + x] = (byte)Math.Clamp(MathF.Round(v * 255), 0, 255);
                }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Png.WriteGray(path, pixels, width, height);
    }
}
