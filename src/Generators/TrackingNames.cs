// Names of the generator's pipeline steps, so tests can check each one is cached.
namespace Functional.Generators;

internal static class TrackingNames
{
    /// <summary>[Network] declarations parsed into specs.</summary>
    public const string Specs = nameof(Specs);
    /// <summary>Specs paired with the diagnostics the checker found.</summary>
    public const string Checked = nameof(Checked);
    /// <summary>Specs without errors, ready to emit.</summary>
    public const string Valid = nameof(Valid);
}
