// Range checks for hyperparameters: a value outside its range is refused at construction and at every `with`, naming it.
namespace Functional.Optimizers;

internal static class Check
{
    /// <summary>A positive finite number.</summary>
    public static float Positive(float value, string name) =>
        value > 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive finite number");

    /// <summary>A finite number ≥ 0.</summary>
    public static float NonNegative(float value, string name) =>
        value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0");

    /// <summary>In [0, 1).</summary>
    public static float Fraction(float value, string name) =>
        value is >= 0 and < 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1)");

    /// <summary>
    /// The decimal a float hyperparameter was written as (0.999f → 0.999, not 0.99900001287…): coefficients such as
    /// 1 − β₂ are computed from it in double, as PyTorch computes them from Python floats, then rounded once
    /// (1 − 0.999 gives 0.001f, where 1f − 0.999f would give 0.0009999871f).
    /// </summary>
    public static double Decimal(float value) =>
        double.Parse(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A whole number ≥ 1.</summary>
    public static long Steps(long value, string name) =>
        value >= 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be a whole number ≥ 1");
}
