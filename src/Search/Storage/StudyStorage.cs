// Opens a study store from the one string a user types (--storage sqlite:runs/study.db or postgres://user@host/db), and the error every store throws.
using System.Text.Json;

namespace Functional.Search.Storage;

/// <summary>Chooses and opens the store a storage address names.</summary>
public static class StudyStorage
{
    /// <summary>The store used when none is given: one SQLite file beside the runs.</summary>
    public const string Default = "sqlite:runs/study.db";

    /// <summary>
    /// Opens the store <paramref name="uri"/> names, creating its schema on first use: <c>sqlite:PATH</c> (the file and its
    /// folder are created), <c>postgres://user[:password]@host[:port]/db</c> (also <c>postgresql://</c>) or a PostgreSQL
    /// keyword connection string (<c>Host=…;Username=…;Database=…</c>). Without a password in it the password comes from
    /// PGPASSWORD or the password file (PGPASSFILE, else ~/.pgpass). Every failure to reach or open the store is one
    /// <see cref="StudyStorageException"/> line that names the store without its password.
    /// </summary>
    public static IStudyStorage Open(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase)) return new SqliteStudyStorage(uri["sqlite:".Length..]);
        if (uri.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || (uri.Contains('=') && !uri.Contains("://")))
            return new PostgresStudyStorage(uri);
        // Not echoed whole: a mistyped address may still carry a password.
        string scheme = uri.Contains(':') ? uri[..uri.IndexOf(':')] : "(none)";
        throw new StudyStorageException($"unknown study storage scheme \"{scheme}\": use sqlite:PATH or postgres://user@host[:port]/db");
    }

    /// <summary>The first top-level difference between two definitions, for <see cref="StudyMismatchException"/> ("lr: … now, … stored").</summary>
    internal static string Difference(string now, string stored)
    {
        try
        {
            using var a = JsonDocument.Parse(now);
            using var b = JsonDocument.Parse(stored);
            if (a.RootElement.ValueKind == JsonValueKind.Object && b.RootElement.ValueKind == JsonValueKind.Object)
            {
                var mine = a.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
                var theirs = b.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
                foreach (var name in mine.Keys.Concat(theirs.Keys).Distinct())
                {
                    bool inMine = mine.TryGetValue(name, out var x), inTheirs = theirs.TryGetValue(name, out var y);
                    if (inMine && inTheirs && JsonElement.DeepEquals(x, y)) continue;
                    return $"{name}: {Short(inMine ? x.GetRawText() : "absent")} now, {Short(inTheirs ? y.GetRawText() : "absent")} stored";
                }
            }
            return $"{Short(now)} now, {Short(stored)} stored";
        }
        catch (JsonException)
        {
            return $"{Short(now)} now, {Short(stored)} stored";
        }
    }

    /// <summary>Whether two definitions say the same (as JSON, so spacing and key order inside objects do not matter).</summary>
    internal static bool SameDefinition(string a, string b)
    {
        if (a == b) return true;
        try
        {
            using var x = JsonDocument.Parse(a);
            using var y = JsonDocument.Parse(b);
            return JsonElement.DeepEquals(x.RootElement, y.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Short(string text) => text.Length <= 60 ? text : text[..57] + "...";
}

/// <summary>
/// The study store could not be reached, opened or written (an unreachable server, a wrong password, a missing
/// database, a full or read-only disk, a newer schema): one line naming the store (never its password) and the cause.
/// </summary>
public sealed class StudyStorageException : Exception
{
    /// <summary>An error with its one-line <paramref name="message"/>.</summary>
    public StudyStorageException(string message) : base(message) { }

    /// <summary>An error with its one-line <paramref name="message"/> and the driver's exception behind it.</summary>
    public StudyStorageException(string message, Exception inner) : base(message, inner) { }
}
