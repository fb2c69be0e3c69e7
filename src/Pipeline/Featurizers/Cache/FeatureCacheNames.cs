namespace Pipeline.Featurizers.Cache;

/// <summary>
/// The names the cache gives its files, and the tests that recognize them. The trim deletes only what passes these
/// tests, so a file the cache did not write (a user's, or one behind a link) is never taken for an entry.
/// <code>
/// v1/&lt;k0k1&gt;/&lt;key&gt;.f32                  an entry: the key's 64 lowercase hex digits; the shard is their first two
/// v1/&lt;k0k1&gt;/.&lt;key&gt;.&lt;12 hex&gt;.tmp     a write in progress, renamed onto the entry when complete
/// </code>
/// </summary>
internal static class FeatureCacheNames
{
    public const string EntriesFolder = "v1";
    private const string EntryExtension = ".f32";
    private const string TempExtension = ".tmp";
    private const int KeyDigits = 64;
    private const int TempSuffixDigits = 12;
    private const int TempNameLength = 1 + KeyDigits + 1 + TempSuffixDigits + 4; // "." key "." suffix ".tmp"

    /// <summary>The shard folder's name for <paramref name="key"/> (its first two hex digits).</summary>
    public static string Shard(string key) => key[..2];

    /// <summary>The entry's file name for <paramref name="key"/> (as <see cref="FeatureCacheKey.ToString"/> spells it).</summary>
    public static string Entry(string key) => key + EntryExtension;

    /// <summary>A fresh temporary file name for a write of <paramref name="key"/>; unique across writers.</summary>
    public static string Temp(string key)
        => "." + key + "." + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(TempSuffixDigits / 2)) + TempExtension;

    /// <summary>Whether a folder in <see cref="EntriesFolder"/> is named as a shard.</summary>
    public static bool IsShard(ReadOnlySpan<char> name) => name.Length == 2 && IsLowerHex(name);

    /// <summary>Whether <paramref name="name"/> is an entry's file name that belongs in shard <paramref name="shard"/>.</summary>
    public static bool IsEntry(ReadOnlySpan<char> shard, ReadOnlySpan<char> name)
        => name.Length == KeyDigits + EntryExtension.Length
           && name.EndsWith(EntryExtension, StringComparison.Ordinal)
           && name.StartsWith(shard, StringComparison.Ordinal)
           && IsLowerHex(name[..KeyDigits]);

    /// <summary>Whether <paramref name="name"/> is a temporary file name of a write into shard <paramref name="shard"/>.</summary>
    public static bool IsTemp(ReadOnlySpan<char> shard, ReadOnlySpan<char> name)
    {
        if (name.Length != TempNameLength || name[0] != '.' || name[1 + KeyDigits] != '.' || !name.EndsWith(TempExtension, StringComparison.Ordinal))
            return false;
        ReadOnlySpan<char> key = name.Slice(1, KeyDigits);
        return key.StartsWith(shard, StringComparison.Ordinal) && IsLowerHex(key) && IsLowerHex(name.Slice(2 + KeyDigits, TempSuffixDigits));
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
            if (!char.IsAsciiHexDigitLower(c)) return false;
        return true;
    }
}
