namespace Pipeline.Datasets;

/// <summary>
/// A file (or folder, or manifest row) left out of a dataset, and why. Datasets never skip anything silently: every
/// exclusion is listed, and the trainer prints the count and the first few.
/// </summary>
/// <param name="Path">The file or folder (for a manifest row: the path as resolved, or the manifest itself).</param>
/// <param name="Reason">Why it was left out, e.g. "a HEIC/HEIF image (as iPhones save photos), which is not supported: ..." or "not a JPEG, PNG, BMP, GIF or WebP image (starts with 68656C6C6F)".</param>
public sealed record ExcludedFile(string Path, string Reason);
