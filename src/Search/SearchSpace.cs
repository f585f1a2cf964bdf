// The space a search draws from: named dimensions (log-uniform, uniform, integer, categorical), validated when built, sampled per trial number so any worker draws the same trial.
using System.Globalization;
using System.Text.Json.Nodes;

namespace Functional.Search;

/// <summary>What kind of values a <see cref="Dimension"/> holds.</summary>
public enum DimensionKind
{
    /// <summary>A real number between the bounds.</summary>
    Real,
    /// <summary>A whole number between the bounds, both included.</summary>
    Integer,
    /// <summary>One of a list of named choices.</summary>
    Categorical,
}

/// <summary>
/// One hyperparameter of a search: its name, kind and range. A log dimension is sampled uniformly in the logarithm, as
/// the lecture asks for learning rates and regularisation strengths: a value between 1e-4 and 1e-3 is as likely as one
/// between 0.1 and 1. Build one with <see cref="LogUniform"/>, <see cref="Uniform"/>, <see cref="Integer"/>,
/// <see cref="Categorical"/> or <see cref="Parse"/>; each checks its bounds and throws one line naming what is wrong.
/// </summary>
public sealed record Dimension
{
    private Dimension(string name, DimensionKind kind, double low, double high, bool log, IReadOnlyList<string> choices)
    {
        (Name, Kind, Low, High, Log, Choices) = (name, kind, low, high, log, choices);
        Validate();
    }

    /// <summary>The hyperparameter's name (what a trial asks its value by, and its column in the results).</summary>
    public string Name { get; }

    /// <summary>Real, integer or categorical.</summary>
    public DimensionKind Kind { get; }

    /// <summary>The low bound (real and integer dimensions; 0 for a categorical one).</summary>
    public double Low { get; }

    /// <summary>The high bound (real and integer dimensions; 0 for a categorical one).</summary>
    public double High { get; }

    /// <summary>Sampled uniformly in the logarithm (real and integer dimensions).</summary>
    public bool Log { get; }

    /// <summary>The choices of a categorical dimension, in the order given (empty otherwise).</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>A real number drawn uniformly in log space between <paramref name="low"/> and <paramref name="high"/> (both positive).</summary>
    public static Dimension LogUniform(string name, double low, double high) => new(name, DimensionKind.Real, low, high, true, []);

    /// <summary>A real number drawn uniformly between <paramref name="low"/> and <paramref name="high"/>.</summary>
    public static Dimension Uniform(string name, double low, double high) => new(name, DimensionKind.Real, low, high, false, []);

    /// <summary>A whole number between <paramref name="low"/> and <paramref name="high"/>, both included; uniform in the logarithm when <paramref name="log"/>.</summary>
    public static Dimension Integer(string name, long low, long high, bool log = false) => new(name, DimensionKind.Integer, low, high, log, []);

    /// <summary>One of <paramref name="choices"/>, each equally likely.</summary>
    public static Dimension Categorical(string name, params string[] choices) => new(name, DimensionKind.Categorical, 0, 0, false, [.. choices]);

    /// <summary>
    /// Reads a range as the command line writes it: <c>LO..HI</c> (uniform), <c>LO..HI:log</c>, <c>LO..HI:int</c>,
    /// <c>LO..HI:int:log</c>, or choices <c>a,b,c</c>. Numbers are invariant-culture (<c>1e-4</c>).
    /// </summary>
    public static Dimension Parse(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
            return text.Contains(',') ? Categorical(name, [.. text.Split(',').Select(c => c.Trim())])
                : throw new FormatException($"{name} \"{text}\": expected LO..HI[:log], LO..HI:int[:log] or choices a,b,c");
        var parts = text[(dots + 2)..].Split(':');
        var flags = parts.Skip(1).Select(f => f.Trim().ToLowerInvariant()).ToArray();
        if (flags.Any(f => f is not ("log" or "int")))
            throw new FormatException($"{name} \"{text}\": unknown flag \"{flags.First(f => f is not ("log" or "int"))}\" (use :log, :int or :int:log)");
        bool log = flags.Contains("log"), integer = flags.Contains("int");
        double low = Number(name, text, text[..dots]), high = Number(name, text, parts[0]);
        if (!integer) return log ? LogUniform(name, low, high) : Uniform(name, low, high);
        if (low != Math.Floor(low) || high != Math.Floor(high))
            throw new FormatException($"{name} \"{text}\": an :int range needs whole-number bounds");
        return Integer(name, (long)low, (long)high, log);
    }

    /// <summary>The value at <paramref name="u"/> ∈ [0, 1) of the dimension's sampling distribution (double, or string for a categorical one).</summary>
    internal object At(double u)
    {
        switch (Kind)
        {
            case DimensionKind.Categorical:
                return Choices[Math.Min(Choices.Count - 1, (int)(u * Choices.Count))];
            case DimensionKind.Integer:
            {
                // Each whole number owns the interval ±½ around it (in log space for a log dimension), so the ends are as likely as the middle.
                double a = Low - 0.5, b = High + 0.5;
                double v = Log ? Math.Exp(Math.Log(a) + u * (Math.Log(b) - Math.Log(a))) : a + u * (b - a);
                return Math.Clamp(Math.Round(v, MidpointRounding.AwayFromZero), Low, High);
            }
            default:
                return Log ? Math.Clamp(Math.Exp(Math.Log(Low) + u * (Math.Log(High) - Math.Log(Low))), Low, High) : Low + u * (High - Low);
        }
    }

    /// <summary>Where <paramref name="value"/> sits in the range as sampled (log space for a log dimension): 0 at the low bound, 1 at the high one.</summary>
    public double Position(double value) => Kind == DimensionKind.Categorical ? 0
        : Log ? (Math.Log(value) - Math.Log(Low)) / (Math.Log(High) - Math.Log(Low)) : (value - Low) / (High - Low);

    /// <summary>The same dimension over another range (checked like a new one).</summary>
    public Dimension WithRange(double low, double high) => new(Name, Kind, low, high, Log, Choices);

    /// <summary>The same categorical dimension with fewer choices.</summary>
    public Dimension WithChoices(IReadOnlyList<string> choices) => new(Name, Kind, Low, High, Log, choices);

    /// <summary>The range as the command line writes it (<see cref="Parse"/> reads it back).</summary>
    public override string ToString() => Kind switch
    {
        DimensionKind.Categorical => string.Join(",", Choices),
        DimensionKind.Integer => $"{Format(Low)}..{Format(High)}:int{(Log ? ":log" : "")}",
        _ => $"{Display(Low)}..{Display(High)}{(Log ? ":log" : "")}",
    };

    /// <summary>A value as people read it in progress lines and warnings: four significant digits (<see cref="Format"/> keeps every digit).</summary>
    public static string Display(object value) => value switch
    {
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A value of this dimension as it is printed (shortest round-trip form for numbers).</summary>
    public static string Format(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>True when both describe the same dimension (the choices compared element by element).</summary>
    public bool Equals(Dimension? other) => other is not null && Name == other.Name && Kind == other.Kind && Low.Equals(other.Low)
        && High.Equals(other.High) && Log == other.Log && Choices.SequenceEqual(other.Choices);

    /// <summary>A hash consistent with <see cref="Equals(Dimension?)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(Name, Kind, Low, High, Log, Choices.Count);

    internal JsonObject ToJson()
    {
        var o = new JsonObject { ["name"] = Name, ["kind"] = Kind.ToString().ToLowerInvariant() };
        if (Kind == DimensionKind.Categorical) o["choices"] = new JsonArray([.. Choices.Select(c => (JsonNode)c)]);
        else (o["low"], o["high"], o["log"]) = (Low, High, Log);
        return o;
    }

    internal static Dimension FromJson(JsonNode node)
    {
        string name = (string?)node["name"] ?? throw new FormatException("a dimension without a name in the study definition");
        return (string?)node["kind"] switch
        {
            "real" => new(name, DimensionKind.Real, (double)node["low"]!, (double)node["high"]!, (bool)node["log"]!, []),
            "integer" => new(name, DimensionKind.Integer, (double)node["low"]!, (double)node["high"]!, (bool)node["log"]!, []),
            "categorical" => new(name, DimensionKind.Categorical, 0, 0, false, [.. node["choices"]!.AsArray().Select(c => (string)c!)]),
            var kind => throw new FormatException($"dimension {name}: unknown kind \"{kind}\" in the study definition"),
        };
    }

    private void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Any(c => char.IsWhiteSpace(c) || c is ',' or '"'))
            throw new ArgumentException($"a dimension's name must be a non-empty word without spaces, commas or quotes; got \"{Name}\"");
        if (Kind == DimensionKind.Categorical)
        {
            if (Choices.Count == 0) throw new ArgumentException($"{Name}: a categorical dimension needs at least one choice");
            if (Choices.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException($"{Name}: a choice is empty");
            if (Choices.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new ArgumentException($"{Name}: the choice \"{twice.Key}\" is given twice");
            return;
        }
        if (!double.IsFinite(Low) || !double.IsFinite(High)) throw new ArgumentException($"{Name}: the bounds {Format(Low)}..{Format(High)} must be finite numbers");
        if (Low >= High) throw new ArgumentException($"{Name}: the low bound {Format(Low)} is not below the high bound {Format(High)}");
        if (Log && Low <= 0) throw new ArgumentException($"{Name}: a log range needs positive bounds; got {Format(Low)}..{Format(High)}");
        if (Kind == DimensionKind.Integer && (Low != Math.Floor(Low) || High != Math.Floor(High)))
            throw new ArgumentException($"{Name}: an integer range needs whole-number bounds; got {Format(Low)}..{Format(High)}");
    }

    private static double Number(string name, string text, string part) =>
        double.TryParse(part.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new FormatException($"{name} \"{text}\": \"{part.Trim()}\" is not a number");
}

/// <summary>
/// The named dimensions of a search, in order. <see cref="Sample"/> is a pure function of the seed and the trial's
/// number: trial 17 of a study has the same hyperparameters on every worker and every run, so a worker needs only the
/// definition (<see cref="ToJson"/> and <see cref="FromJson"/> carry it through the study's storage).
/// </summary>
public sealed class SearchSpace : IEquatable<SearchSpace>
{
    private readonly Dimension[] dimensions;

    /// <summary>A space of <paramref name="dimensions"/>; throws when it is empty or two share a name.</summary>
    public SearchSpace(IEnumerable<Dimension> dimensions)
    {
        this.dimensions = [.. dimensions];
        if (this.dimensions.Length == 0) throw new ArgumentException("a search space needs at least one dimension");
        if (this.dimensions.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"the search space names \"{twice.Key}\" twice");
    }

    /// <summary>A space of <paramref name="dimensions"/>.</summary>
    public SearchSpace(params Dimension[] dimensions) : this((IEnumerable<Dimension>)dimensions) { }

    /// <summary>The dimensions, in the order given.</summary>
    public IReadOnlyList<Dimension> Dimensions => dimensions;

    /// <summary>The dimension called <paramref name="name"/>; throws naming the ones there are when there is none.</summary>
    public Dimension this[string name] => dimensions.FirstOrDefault(d => d.Name == name)
        ?? throw new KeyNotFoundException($"unknown hyperparameter \"{name}\" (the space has {string.Join(", ", dimensions.Select(d => d.Name))})");

    /// <summary>
    /// Trial <paramref name="trialNumber"/>'s hyperparameters: each dimension draws from its own stream, seeded by
    /// (seed, trial, dimension's position), so one trial never depends on another and two workers draw the same.
    /// </summary>
    public ParameterSet Sample(long seed, long trialNumber)
    {
        var values = new KeyValuePair<string, object>[dimensions.Length];
        for (int i = 0; i < dimensions.Length; i++)
            values[i] = new(dimensions[i].Name, dimensions[i].At(new SeededRandom(Mix(seed, trialNumber, i)).NextDouble()));
        return new ParameterSet(values);
    }

    /// <summary>This space with <paramref name="dimension"/> in place of the one of its name.</summary>
    public SearchSpace With(Dimension dimension)
    {
        _ = this[dimension.Name];
        return new([.. dimensions.Select(d => d.Name == dimension.Name ? dimension : d)]);
    }

    /// <summary>The space as JSON, for the study definition.</summary>
    public JsonArray ToJson() => new([.. dimensions.Select(d => (JsonNode)d.ToJson())]);

    /// <summary>Reads what <see cref="ToJson"/> wrote, checking every dimension again.</summary>
    public static SearchSpace FromJson(JsonNode node) => new(node.AsArray().Select(d => Dimension.FromJson(d!)));

    /// <summary>The space as the command line writes it: <c>lr 1e-4..1:log, l2 …</c>.</summary>
    public override string ToString() => string.Join(", ", dimensions.Select(d => $"{d.Name} {d}"));

    /// <summary>True when both have the same dimensions in the same order.</summary>
    public bool Equals(SearchSpace? other) => other is not null && dimensions.SequenceEqual(other.dimensions);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SearchSpace);

    /// <inheritdoc />
    public override int GetHashCode() => dimensions.Aggregate(0, (h, d) => HashCode.Combine(h, d));

    /// <summary>SplitMix64's finaliser over the three numbers, so nearby seeds and trials get unrelated streams.</summary>
    internal static long Mix(long seed, long trial, long dimension)
    {
        ulong z = (ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)trial * 0xBF58476D1CE4E5B9UL ^ (ulong)(dimension + 1) * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)(z ^ (z >> 31));
    }
}
