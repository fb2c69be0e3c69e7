using System.Text;

namespace Pipeline.Persistence.Zip;

/// <summary>
/// The one rule for entry names, applied by the writer and the reader alike: relative paths of '/'-separated
/// segments, each starting with a letter, digit or '_' and made of ASCII letters, digits, '.', '_' and '-'.
/// That rules out absolute paths, drive letters, backslashes, '..' and '.' segments, hidden files, control and
/// non-ASCII characters (which extractors decode differently), in one check that is easy to audit.
/// </summary>
internal static class EntryNames
{
    public const int MaxLength = 200;

    /// <summary>Null when <paramref name="name"/> is acceptable, else why not (for an error message).</summary>
    public static string? Validate(string name)
    {
        if (name.Length == 0) return "the name is empty";
        if (name.Length > MaxLength) return $"the name is {name.Length} characters long, over the {MaxLength} allowed";
        if (name[0] == '/' || name[0] == '\\' || (name.Length >= 2 && name[1] == ':')) return "the name is an absolute path";
        if (name.Contains('\\')) return "the name contains a backslash";
        foreach (string segment in name.Split('/'))
        {
            if (segment.Length == 0) return "the name has an empty path segment";
            if (segment == "..") return "the name climbs out of the archive with '..'";
            if (segment == ".") return "the name has a '.' segment";
            if (!IsSegmentStart(segment[0])) return $"a path segment starts with '{Printable(segment[0])}'";
            foreach (char c in segment)
            {
                if (!IsSegmentChar(c)) return $"the name contains the character '{Printable(c)}'";
            }
        }
        return null;
    }

    /// <summary>The bytes of a name as stored, shown safely in a message (non-ASCII and control bytes escaped).</summary>
    public static string Display(ReadOnlySpan<byte> raw)
    {
        var text = new StringBuilder(raw.Length);
        foreach (byte b in raw)
        {
            if (b >= 0x20 && b < 0x7F) text.Append((char)b);
            else text.Append("\\x").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>
    /// A valid single segment made from an arbitrary file name (a user's backbone file may be called anything):
    /// disallowed characters become '_', and an empty result becomes <paramref name="fallback"/>.
    /// </summary>
    public static string SanitizeSegment(string fileName, string fallback)
    {
        var text = new StringBuilder(Math.Min(fileName.Length, 120));
        foreach (char c in fileName)
        {
            if (text.Length == 120) break;
            text.Append(IsSegmentChar(c) ? c : '_');
        }
        if (text.Length > 0 && !IsSegmentStart(text[0])) text[0] = '_';
        return text.Length == 0 ? fallback : text.ToString();
    }

    private static bool IsSegmentStart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static bool IsSegmentChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    private static string Printable(char c) => c >= 0x20 && c < 0x7F ? c.ToString() : $"\\u{(int)c:X4}";
}
