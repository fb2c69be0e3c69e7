namespace Pipeline.Datasets;

/// <summary>
/// A class of the data with no usable image: its folder (or its manifest rows) held files, but none could be used
/// (HEIC, TIFF or another unsupported format, not an image, empty, unreadable, missing), or its folder held no file at
/// all. It is not in <see cref="ImageDataset.Classes"/>, and the trainer refuses a dataset that has one (see
/// <see cref="ImageDataset.UnusableClasses"/>).
/// </summary>
/// <param name="Name">The class label (the folder's name, or the manifest's label).</param>
/// <param name="Path">The class folder, or the manifest (or the source description) for a class of rows.</param>
/// <param name="Files">Every file (or unreadable folder) of the class, with why it was left out; empty when the folder held no file.</param>
/// <param name="Reason">
/// Why no image is usable, the files grouped by reason with a count and an example each, e.g. "of its 6 files, 3 are a
/// HEIC image (as iPhones save photos), not supported (export or convert it to JPEG), e.g. data/heic/a.heic; 3 are a
/// TIFF image ..."; or "its folder holds no files".
/// </param>
public sealed record UnusableClass(string Name, string Path, IReadOnlyList<ExcludedFile> Files, string Reason)
{
    /// <summary>The sentence the trainer refuses the class with: "class 'heic' has no usable image: " and <see cref="Reason"/>.</summary>
    public string Message => ClassSummary.Refusal(Name, Reason);
}
