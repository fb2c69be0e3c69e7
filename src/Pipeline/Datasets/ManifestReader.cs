using CsvHelper;

namespace Pipeline.Datasets;

/// <summary>
/// Reads a CSV or TSV manifest of <c>path,label</c> rows (CsvHelper). The separator is a tab for <c>.tsv</c>/<c>.tab</c>
/// files, a comma for <c>.csv</c>, and detected (comma, semicolon, tab or bar) otherwise. Fields may be quoted (RFC 4180).
/// The header is optional: a first row that names a path column (<c>path</c>, <c>file</c>, <c>filename</c>,
/// <c>image</c>, <c>imagepath</c>, <c>image_path</c>) and a label column (<c>label</c>, <c>class</c>,
/// <c>category</c>), ignoring case, is a header and says which columns to read; without one the first two columns
/// are path and label. Relative paths are relative to the manifest's folder; backslashes work too.
/// A row that cannot be used (too few fields, an empty or invalid label, a missing file, a path listed twice) is
/// excluded with its line number; a file that is not valid CSV is an <see cref="InvalidDatasetException"/>. UTF-8 is
/// read with or without a byte order mark, UTF-16 (little or big endian, as Excel's "Unicode Text") with one.
/// </summary>
internal static class ManifestReader
{
    private const int MaxRecordBytes = 1 << 20; // a hostile unclosed quote cannot make the reader buffer the whole file

    private static readonly string[] PathHeaders = ["path", "file", "filename", "file_name", "image", "imagepath", "image_path", "filepath", "file_path"];
    private static readonly string[] LabelHeaders = ["label", "class", "category", "classname", "class_name"];

    /// <summary>
    /// The usable rows, every row left out, and those of them with a valid label (a missing file, a folder, a path
    /// listed again), so a label all of whose rows are left out is still known as a class, one with no usable image.
    /// </summary>
    public static (List<(string Path, string Label)> Rows, List<ExcludedFile> Excluded, List<(ExcludedFile Row, string Label)> LabelledExclusions) Read(string manifest)
    {
        if (Files.SpecialFiles.IsEmptyOrSpecial(manifest)) throw new InvalidDatasetException(manifest, Files.SpecialFiles.Reason);
        string folder = Path.GetDirectoryName(manifest) ?? ".";
        string extension = Path.GetExtension(manifest).ToLowerInvariant();
        char? separator = extension switch
        {
            ".tsv" or ".tab" => '\t',
            ".csv" => ',',
            _ => null, // detected from the first lines: ',', ';', tab or '|'
        };
        var rows = new List<(string Path, string Label)>();
        var excluded = new List<ExcludedFile>();
        var labelled = new List<(ExcludedFile, string)>();
        var firstRowOf = new Dictionary<string, long>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        var options = new CsvReaderOptions
        {
            Separator = separator,
            HasHeader = false,
            SkipEmptyLines = true,
            TrackLineNumbers = true,
            TrimWhitespace = true,
            MalformedData = CsvMalformedDataHandling.Throw,
            MaxRecordSize = MaxRecordBytes,
        };
        long line = 0;
        try
        {
            using CsvReader reader = CsvReader.FromFile(manifest, options);
            int pathColumn = 0, labelColumn = 1;
            bool first = true;
            while (reader.Read())
            {
                line = reader.LineNumber;
                int fields = reader.FieldCount;
                if (first)
                {
                    first = false;
                    if (TryHeader(reader, out pathColumn, out labelColumn)) continue;
                }
                if (fields <= Math.Max(pathColumn, labelColumn))
                {
                    string hint = fields == 1 && separator == ',' && reader.GetString(0).IndexOfAny([';', '\t', '|']) >= 0
                        ? " (a .csv separates them with a comma; name the file .txt to have the separator detected)" : "";
                    excluded.Add(new ExcludedFile($"{manifest}:{line}", $"line {line} has {fields} field(s); a path and a label are needed{hint}"));
                    continue;
                }
                string given = reader.GetString(pathColumn).Trim();
                string label = reader.GetString(labelColumn).Trim();
                if (given.Length == 0)
                {
                    excluded.Add(new ExcludedFile($"{manifest}:{line}", $"line {line} has no path"));
                    continue;
                }
                string path = Resolve(folder, given);
                if (Persistence.ModelPackage.ValidateLabel(label) is { } labelProblem)
                {
                    excluded.Add(new ExcludedFile(path, $"line {line}: {labelProblem}"));
                    continue;
                }
                if (!File.Exists(path))
                {
                    Exclude(path, $"line {line}: {(Directory.Exists(path) ? "a folder, not a file" : "the file does not exist")}", label);
                    continue;
                }
                if (!firstRowOf.TryAdd(path, line))
                {
                    Exclude(path, $"line {line}: listed again (first on line {firstRowOf[path]}); each file is read once", label);
                    continue;
                }
                rows.Add((path, label));
            }
        }
        catch (CsvFormatException e)
        {
            throw new InvalidDatasetException(manifest, $"not a valid CSV/TSV manifest ({FirstLine(e.Message)})", e.LineNumber > 0 ? e.LineNumber : line, e);
        }

        return (rows, excluded, labelled);

        void Exclude(string path, string reason, string label)
        {
            var row = new ExcludedFile(path, reason);
            excluded.Add(row);
            labelled.Add((row, label));
        }
    }

    private static bool TryHeader(CsvReader reader, out int pathColumn, out int labelColumn)
    {
        pathColumn = labelColumn = -1;
        for (int i = 0; i < reader.FieldCount; i++)
        {
            string name = reader.GetString(i).Trim().ToLowerInvariant();
            if (pathColumn < 0 && Array.IndexOf(PathHeaders, name) >= 0) pathColumn = i;
            else if (labelColumn < 0 && Array.IndexOf(LabelHeaders, name) >= 0) labelColumn = i;
        }
        if (pathColumn >= 0 && labelColumn >= 0) return true;
        pathColumn = 0;
        labelColumn = 1;
        return false;
    }

    private static string Resolve(string folder, string given)
    {
        string path = Path.GetFullPath(Path.Combine(folder, given));
        if (!File.Exists(path) && given.Contains('\\') && Path.DirectorySeparatorChar == '/')
        {
            string slashed = Path.GetFullPath(Path.Combine(folder, given.Replace('\\', '/')));
            if (File.Exists(slashed)) return slashed;
        }
        return path;
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
