// PCA, PCA whitening and ZCA whitening: projections onto the training covariance's eigenvectors, fitted on training data only.
namespace Functional.Data;

/// <summary>
/// Projection onto the top k principal components: z = (x − μ)·U_kᵀ, the lecture's Xrot = np.dot(X, U[:, :k]).
/// <see cref="ExplainedVarianceRatio"/> says how much of the training variance each kept component carries.
/// </summary>
public sealed record Pca : ITransform
{
    private readonly float[] mean, components, variances;
    private readonly float[] weights;

    /// <summary>The [d, OutputCount] matrix W of z = (x − μ)·W that Apply multiplies by (read by the ONNX export).</summary>
    internal float[] ProjectionWeights => weights;

    internal Pca(float[] mean, float[] components, float[] variances, double totalVariance)
    {
        this.mean = mean;
        this.components = components;
        this.variances = variances;
        TotalVariance = totalVariance;
        weights = Projections.Weights(components, variances, mean.Length, static _ => 1.0);
    }

    /// <inheritdoc/>
    public int InputCount => mean.Length;
    /// <inheritdoc/>
    public int OutputCount => variances.Length;

    /// <summary>The training mean, subtracted before projecting.</summary>
    public ReadOnlySpan<float> Mean => mean;

    /// <summary>[k, d] row-major: row i is the i-th principal direction (unit length; sign fixed so its largest entry is positive).</summary>
    public ReadOnlySpan<float> Components => components;

    /// <summary>The variance of the training data along each kept component (the covariance's top k eigenvalues).</summary>
    public ReadOnlySpan<float> Variances => variances;

    /// <summary>The training data's total variance (trace of its covariance), the denominator of the ratios.</summary>
    public double TotalVariance { get; }

    /// <summary>λᵢ / Σλ for each kept component, largest first.</summary>
    public IReadOnlyList<double> ExplainedVarianceRatio => [.. variances.Select(v => TotalVariance > 0 ? v / TotalVariance : 0)];

    /// <summary>The fraction of the training variance the k kept components retain.</summary>
    public double RetainedVariance => ExplainedVarianceRatio.Sum();

    /// <summary>Fits on <paramref name="train"/> and keeps the top <paramref name="k"/> components (1 ≤ k ≤ d).</summary>
    public static Pca Fit(Dataset train, int k)
    {
        Projections.CheckK(train, k);
        return From(Eigenbasis.Fit(train), k);
    }

    /// <summary>Fits and keeps the fewest components whose explained variance reaches <paramref name="fraction"/> (0 &lt; fraction ≤ 1).</summary>
    public static Pca FitRetaining(Dataset train, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the retained variance is a fraction in (0, 1]");
        var basis = Eigenbasis.Fit(train);
        double total = basis.TotalVariance, kept = 0;
        int k = 0;
        while (k < basis.Dimension && (k == 0 || kept < fraction * total)) kept += basis.Eigenvalues[k++];
        return From(basis, k);
    }

    private static Pca From(Eigenbasis basis, int k) =>
        new(Statistics.ToFloats(basis.Mean), Projections.Top(basis, k), Statistics.ToFloats(basis.Eigenvalues[..k]), basis.TotalVariance);

    /// <inheritdoc/>
    public Dataset Apply(Dataset data)
    {
        TransformChecks.Width(this, data);
        return Projections.Create(data, Affine.Apply(data, mean, weights, OutputCount), OutputCount);
    }

    /// <summary>
    /// Back to feature space: x̂ = z·U_k + μ, for data this PCA produced. With k = d it is the original data
    /// (up to float rounding); with k &lt; d, the best rank-k approximation of it.
    /// </summary>
    public Dataset Reconstruct(Dataset projected)
    {
        if (projected.FeatureCount != OutputCount)
            throw new ArgumentException($"{projected.Name} has {projected.FeatureCount} features, but this PCA produces {OutputCount}", nameof(projected));
        int n = projected.Count, d = InputCount;
        var x = new float[n * d];
        Kernels.Gemm.Forward<Kernels.Identity>(projected.Features, components, mean, x, n, OutputCount, d);
        return Projections.Create(projected, x, d);
    }

    /// <inheritdoc/>
    public TransformDescription Describe() => Projections.Describe(nameof(Pca), mean, components, variances, TotalVariance, epsilon: null);

    /// <summary>Value equality: the same fitted mean, components, variances and total variance.</summary>
    public bool Equals(Pca? other) => other is not null && TotalVariance == other.TotalVariance && Statistics.Same(mean, other.mean)
                                      && Statistics.Same(components, other.components) && Statistics.Same(variances, other.variances);

    /// <summary>A hash consistent with <see cref="Equals(Pca)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(TotalVariance, Statistics.Hash(components));
}

/// <summary>
/// PCA whitening: z = (x − μ)·U_kᵀ / √(λ + ε), the lecture's Xwhite = Xrot / np.sqrt(S + 1e-5). Each kept direction
/// gets unit variance; ε keeps the directions of almost no variance (noise) from being blown up without bound.
/// </summary>
public sealed record PcaWhitening : ITransform
{
    private readonly float[] mean, components, variances;
    private readonly float[] weights;

    /// <summary>The [d, OutputCount] matrix W of z = (x − μ)·W that Apply multiplies by (read by the ONNX export).</summary>
    internal float[] ProjectionWeights => weights;

    internal PcaWhitening(float[] mean, float[] components, float[] variances, double totalVariance, double epsilon)
    {
        this.mean = mean;
        this.components = components;
        this.variances = variances;
        TotalVariance = totalVariance;
        Epsilon = epsilon;
        weights = Projections.Weights(components, variances, mean.Length, lambda => 1 / Math.Sqrt(lambda + epsilon));
    }

    /// <inheritdoc/>
    public int InputCount => mean.Length;
    /// <inheritdoc/>
    public int OutputCount => variances.Length;
    /// <summary>The training mean, subtracted before projecting.</summary>
    public ReadOnlySpan<float> Mean => mean;
    /// <summary>[k, d] row-major: row i is the i-th principal direction (unit length; sign fixed so its largest entry is positive).</summary>
    public ReadOnlySpan<float> Components => components;
    /// <summary>The variance of the training data along each kept component (the covariance's top k eigenvalues), before whitening.</summary>
    public ReadOnlySpan<float> Variances => variances;
    /// <summary>The training data's total variance (trace of its covariance), the denominator of the ratios.</summary>
    public double TotalVariance { get; }
    /// <summary>ε, added to each variance before dividing by its square root, so near-zero-variance directions are not blown up without bound.</summary>
    public double Epsilon { get; }
    /// <summary>λᵢ / Σλ for each kept component, largest first.</summary>
    public IReadOnlyList<double> ExplainedVarianceRatio => [.. variances.Select(v => TotalVariance > 0 ? v / TotalVariance : 0)];

    /// <summary>Fits on <paramref name="train"/>, keeping the top <paramref name="k"/> components (all d when null).</summary>
    public static PcaWhitening Fit(Dataset train, int? k, double epsilon)
    {
        int kept = k ?? train.FeatureCount;
        Projections.CheckK(train, kept);
        Projections.CheckEpsilon(epsilon);
        var basis = Eigenbasis.Fit(train);
        return new(Statistics.ToFloats(basis.Mean), Projections.Top(basis, kept), Statistics.ToFloats(basis.Eigenvalues[..kept]), basis.TotalVariance, epsilon);
    }

    /// <inheritdoc/>
    public Dataset Apply(Dataset data)
    {
        TransformChecks.Width(this, data);
        return Projections.Create(data, Affine.Apply(data, mean, weights, OutputCount), OutputCount);
    }

    /// <inheritdoc/>
    public TransformDescription Describe() => Projections.Describe(nameof(PcaWhitening), mean, components, variances, TotalVariance, Epsilon);

    /// <summary>Value equality: the same fitted mean, components, variances, total variance and ε.</summary>
    public bool Equals(PcaWhitening? other) => other is not null && Epsilon == other.Epsilon && TotalVariance == other.TotalVariance
                                               && Statistics.Same(mean, other.mean) && Statistics.Same(components, other.components)
                                               && Statistics.Same(variances, other.variances);

    /// <summary>A hash consistent with <see cref="Equals(PcaWhitening)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(Epsilon, Statistics.Hash(components));
}

/// <summary>
/// ZCA whitening: z = (x − μ)·U diag(1/√(λ + ε)) Uᵀ, PCA whitening rotated back into feature space. The covariance
/// becomes (nearly) the identity while each output stays as close as possible to its input pixel, so whitened
/// images still look like images (edges emphasised). Keeps all d features.
/// </summary>
public sealed record ZcaWhitening : ITransform
{
    private readonly float[] mean, components, variances;
    private readonly float[] weights;

    /// <summary>The [d, OutputCount] matrix W of z = (x − μ)·W that Apply multiplies by (read by the ONNX export).</summary>
    internal float[] ProjectionWeights => weights;

    internal ZcaWhitening(float[] mean, float[] components, float[] variances, double totalVariance, double epsilon)
    {
        this.mean = mean;
        this.components = components;
        this.variances = variances;
        TotalVariance = totalVariance;
        Epsilon = epsilon;
        weights = Zca(components, variances, epsilon, mean.Length);
    }

    /// <inheritdoc/>
    public int InputCount => mean.Length;
    /// <inheritdoc/>
    public int OutputCount => mean.Length;
    /// <summary>The training mean, subtracted before whitening.</summary>
    public ReadOnlySpan<float> Mean => mean;
    /// <summary>[d, d] row-major: row i is the i-th principal direction (unit length; sign fixed so its largest entry is positive).</summary>
    public ReadOnlySpan<float> Components => components;
    /// <summary>The variance of the training data along each principal direction (all d eigenvalues of its covariance), largest first.</summary>
    public ReadOnlySpan<float> Variances => variances;
    /// <summary>The training data's total variance (trace of its covariance).</summary>
    public double TotalVariance { get; }
    /// <summary>ε, added to each variance before dividing by its square root, so near-zero-variance directions are not blown up without bound.</summary>
    public double Epsilon { get; }

    /// <summary>Fits on <paramref name="train"/>, keeping all d components, with <paramref name="epsilon"/> as ε.</summary>
    public static ZcaWhitening Fit(Dataset train, double epsilon)
    {
        Projections.CheckEpsilon(epsilon);
        var basis = Eigenbasis.Fit(train);
        int d = basis.Dimension;
        return new(Statistics.ToFloats(basis.Mean), Projections.Top(basis, d), Statistics.ToFloats(basis.Eigenvalues), basis.TotalVariance, epsilon);
    }

    /// <inheritdoc/>
    public Dataset Apply(Dataset data)
    {
        TransformChecks.Width(this, data);
        return data.WithFeatures(Affine.Apply(data, mean, weights, OutputCount));
    }

    /// <summary>W = U diag(1/√(λ+ε)) Uᵀ in double, from the stored floats, so a saved and reloaded ZCA applies bit for bit alike.</summary>
    private static float[] Zca(float[] u, float[] lambda, double epsilon, int d)
    {
        var scaled = new double[d * d];
        for (int c = 0; c < d; c++)
        {
            double s = 1 / Math.Sqrt(lambda[c] + epsilon);
            for (int j = 0; j < d; j++) scaled[c * d + j] = u[c * d + j] * s;
        }
        var w = new float[d * d];
        // W[i, j] = Σ_c U[c, i] · s_c · U[c, j]: symmetric, so only the upper triangle is computed.
        var row = new double[d];
        for (int i = 0; i < d; i++)
        {
            Array.Clear(row);
            for (int c = 0; c < d; c++)
            {
                double a = scaled[c * d + i];
                int offset = c * d;
                for (int j = i; j < d; j++) row[j] += a * u[offset + j];
            }
            for (int j = i; j < d; j++) w[i * d + j] = w[j * d + i] = (float)row[j];
        }
        return w;
    }

    /// <inheritdoc/>
    public TransformDescription Describe() => Projections.Describe(nameof(ZcaWhitening), mean, components, variances, TotalVariance, Epsilon);

    /// <summary>Value equality: the same fitted mean, components, variances, total variance and ε.</summary>
    public bool Equals(ZcaWhitening? other) => other is not null && Epsilon == other.Epsilon && TotalVariance == other.TotalVariance
                                               && Statistics.Same(mean, other.mean) && Statistics.Same(components, other.components)
                                               && Statistics.Same(variances, other.variances);

    /// <summary>A hash consistent with <see cref="Equals(ZcaWhitening)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(Epsilon, Statistics.Hash(components));
}

/// <summary>What the three projections share: argument checks, the kept rows of U, weights, and their descriptions.</summary>
internal static class Projections
{
    public static void CheckK(Dataset train, int k)
    {
        if (k < 1 || k > train.FeatureCount)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"{train.Name}: PCA keeps between 1 and {train.FeatureCount} components (its feature count)");
    }

    public static void CheckEpsilon(double epsilon)
    {
        if (!(epsilon >= 0) || !double.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a finite number ≥ 0");
    }

    public static float[] Top(Eigenbasis basis, int k) => Statistics.ToFloats(basis.Components[..(k * basis.Dimension)]);

    /// <summary>W [d, k] with column c = component c · scale(λ_c), computed from the stored floats.</summary>
    public static float[] Weights(float[] components, float[] variances, int d, Func<double, double> scale)
    {
        int k = variances.Length;
        var w = new float[d * k];
        for (int c = 0; c < k; c++)
        {
            double s = scale(variances[c]);
            for (int i = 0; i < d; i++) w[i * k + c] = (float)(components[c * d + i] * s);
        }
        return w;
    }

    /// <summary>A data set of <paramref name="width"/> features with <paramref name="source"/>'s name and labels.</summary>
    public static Dataset Create(Dataset source, float[] features, int width) =>
        Dataset.Create(source.Name, features, source.Labels.ToArray(), width, source.ClassCount)
               .IfFail(e => throw new ArgumentException($"{source.Name}: the projection produced invalid data: {e.Message}"));

    public static TransformDescription Describe(string kind, float[] mean, float[] components, float[] variances, double total, double? epsilon)
    {
        var settings = new Dictionary<string, string>
        {
            ["inputs"] = TransformDescription.Text(mean.Length),
            ["components"] = TransformDescription.Text(variances.Length),
            ["totalVariance"] = TransformDescription.Text(total),
        };
        if (epsilon is double e) settings["epsilon"] = TransformDescription.Text(e);
        return new(kind, settings, new Dictionary<string, float[]>
        {
            ["mean"] = (float[])mean.Clone(),
            ["components"] = (float[])components.Clone(),
            ["variances"] = (float[])variances.Clone(),
        });
    }
}
