namespace Pipeline.Persistence;

/// <summary>Checks on SHA-256 digests written as text.</summary>
internal static class Hashes
{
    /// <summary>Null when <paramref name="hex"/> is 64 lowercase hex digits, else why not.</summary>
    public static string? CheckSha256(string? hex)
    {
        if (hex is null || hex.Length != 64) return "a SHA-256 must be 64 hex digits";
        foreach (char c in hex)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f')) return "a SHA-256 must be 64 lowercase hex digits";
        }
        return null;
    }
}
