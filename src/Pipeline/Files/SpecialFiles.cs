namespace Pipeline.Files;

/// <summary>
/// Opening a named pipe waits, with no timeout, for a writer that may never come, and a device can stream without
/// end. Both report a length of 0, as an empty file does, and none of the three holds an image, a model or a
/// manifest. So every reader of a user's file asks first, and refuses them without opening.
/// </summary>
internal static class SpecialFiles
{
    /// <summary>Why such a file is refused.</summary>
    public const string Reason = "the file is empty, or is not a regular file (a named pipe or a device)";

    /// <summary>
    /// True for an empty file, a named pipe or a device, also behind symbolic links; false for anything else, a missing
    /// file or a broken link included (opening it says why).
    /// </summary>
    public static bool IsEmptyOrSpecial(string path)
    {
        FileInfo file;
        try
        {
            file = FileLinks.Resolve(path);
        }
        catch (IOException)
        {
            return false; // a link cycle: opening it says so
        }
        return file is { Exists: true, Length: 0 };
    }

    /// <summary>The file's bytes.</summary>
    /// <exception cref="IOException">The file is empty or special (<see cref="Reason"/>), or cannot be read.</exception>
    public static byte[] ReadAllBytes(string path)
        => IsEmptyOrSpecial(path) ? throw new IOException($"{path}: {Reason}.") : File.ReadAllBytes(path);
}
