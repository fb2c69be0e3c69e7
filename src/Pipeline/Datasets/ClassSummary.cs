using System.Text;

namespace Pipeline.Datasets;

/// <summary>
/// Says why a class has no usable image, one sentence whichever step found it (the dataset reader, for files that are
/// not images the decoders read, or the trainer, for images that fail to decode): the files grouped by reason, with a
/// count and an example each, e.g. "of its 6 files, 3 are a HEIC image (as iPhones save photos), not supported (export
/// or convert it to JPEG), e.g. data/heic/a.heic; 3 are a TIFF image (...), not supported (...), e.g. data/heic/d.tif;
/// only JPEG, PNG, BMP, GIF or WebP images are read".
/// </summary>
internal static class ClassSummary
{
    private const int MaxGroups = 4;
    private const string NotSupported = ", which is not supported: only " + Imaging.UnsupportedFormat.Supported + " images are read";

    /// <summary>
    /// A file (or folder) of a class that was left out. <paramref name="Predicate"/>, when given, groups it and says
    /// what happened ("could not be decoded"), the reason becoming the example's detail; otherwise the reason does.
    /// </summary>
    public readonly record struct Item(string Path, string Reason, bool IsFolder = false, string? Predicate = null);

    /// <summary>The trainer's and the dataset's sentence for a class with no usable image.</summary>
    public static string Refusal(string name, string reason) => $"class '{name}' has no usable image: {reason}";

    /// <summary>What the advice to a user refused for unusable classes says.</summary>
    public const string Advice = "give each class at least one image that decodes, or take the class out of the data";

    /// <summary>Why none of the files of a class is usable, grouped by reason, with a count and an example each.</summary>
    /// <param name="items">Every file of the class, each left out, in order.</param>
    /// <param name="empty">The reason when there is none (the folder held no file).</param>
    /// <param name="folder">The class folder, so that the folder itself, when it is the one item, is named as "its folder".</param>
    public static string Describe(IReadOnlyList<Item> items, string empty, string? folder = null)
    {
        if (items.Count == 0) return empty;
        if (items.Count == 1 && folder is not null && items[0].IsFolder && items[0].Path == folder)
            return "its folder " + (items[0].Reason.StartsWith("the folder ", StringComparison.Ordinal) ? items[0].Reason["the folder ".Length..] : "was left out: " + items[0].Reason);

        var groups = new List<(string Key, List<Item> Items)>();
        foreach (Item item in items)
        {
            string key = item.Predicate ?? Split(item.Reason).Key;
            int at = groups.FindIndex(g => g.Key == key && (g.Items[0].Predicate is null) == (item.Predicate is null));
            if (at < 0) groups.Add((key, [item]));
            else groups[at].Items.Add(item);
        }

        bool folders = items.Any(i => i.IsFolder);
        string Noun(int n) => folders ? (n == 1 ? "entry" : "entries") : (n == 1 ? "file" : "files");
        var text = new StringBuilder();
        if (groups.Count == 1) text.Append(items.Count == 1 ? $"its only {Noun(1)} " : $"its {items.Count} {Noun(items.Count)} ");
        else text.Append($"of its {items.Count} {Noun(items.Count)}, ");
        int shown = Math.Min(groups.Count, MaxGroups);
        // Several unsupported formats: the list of those read is said once, at the end.
        bool compact = groups.Take(shown).Count(g => g.Items[0].Predicate is null && g.Key.Contains(NotSupported, StringComparison.Ordinal)) > 1;
        for (int g = 0; g < shown; g++)
        {
            (string key, List<Item> members) = groups[g];
            if (g > 0) text.Append("; ");
            bool single = groups.Count == 1 ? items.Count == 1 : members.Count == 1;
            if (groups.Count > 1) text.Append(members.Count).Append(' ');
            Item first = members[0];
            text.Append(first.Predicate ?? Phrase(compact ? key.Replace(NotSupported, ", not supported", StringComparison.Ordinal) : key, single));
            string? detail = first.Predicate is not null ? first.Reason : Split(first.Reason).Detail;
            text.Append($", e.g. {first.Path}{(detail is null ? "" : $" ({detail})")}");
        }
        if (groups.Count > shown)
        {
            int rest = groups.Skip(shown).Sum(g => g.Items.Count);
            text.Append($"; {rest} more for other reasons");
        }
        if (compact) text.Append($"; only {Imaging.UnsupportedFormat.Supported} images are read");
        return text.ToString();
    }

    /// <summary>
    /// The reason without what differs from file to file (a manifest's line number, the first bytes, an I/O message),
    /// and that part, said after an example's path ("line 3", "starts with 68656C6C6F", "Permission denied").
    /// </summary>
    private static (string Key, string? Detail) Split(string reason)
    {
        string? detail = null;
        if (reason.StartsWith("line ", StringComparison.Ordinal) && reason.IndexOf(": ", StringComparison.Ordinal) is > 5 and var colon
            && reason.AsSpan(5, colon - 5).IndexOfAnyExceptInRange('0', '9') < 0)
        {
            detail = reason[..colon];
            reason = reason[(colon + 2)..];
        }
        int starts = reason.LastIndexOf(" (starts with ", StringComparison.Ordinal);
        if (starts > 0 && reason.EndsWith(')'))
        {
            detail = (detail is null ? "" : detail + ", ") + reason[(starts + 2)..^1];
            reason = reason[..starts];
        }
        else if (reason.StartsWith("cannot be read (", StringComparison.Ordinal) && reason.EndsWith(')'))
        {
            detail = (detail is null ? "" : detail + ", ") + reason["cannot be read (".Length..^1];
            reason = "cannot be read";
        }
        return (reason, detail);
    }

    /// <summary>"is a HEIC image ...", "are not a JPEG ... image", "is empty", "were left out: ...": the reason as a predicate.</summary>
    private static string Phrase(string reason, bool single)
    {
        string be = single ? "is" : "are";
        if (reason.StartsWith("a ", StringComparison.Ordinal) || reason.StartsWith("an ", StringComparison.Ordinal) || reason.StartsWith("not ", StringComparison.Ordinal))
            return $"{be} {reason}";
        if (reason.StartsWith("the file is ", StringComparison.Ordinal))
            return $"{be} {reason["the file is ".Length..]}".Replace(", or is not", single ? ", or is not" : ", or are not", StringComparison.Ordinal);
        if (reason.StartsWith("the file does not ", StringComparison.Ordinal)) return $"{(single ? "does" : "do")} not {reason["the file does not ".Length..]}";
        if (reason.StartsWith("cannot ", StringComparison.Ordinal)) return reason;
        return $"{(single ? "was" : "were")} left out: {reason}";
    }
}
