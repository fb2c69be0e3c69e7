namespace Pipeline.Featurizers.Backbones;

/// <summary>The state of a download, reported at most every 100 ms and once at the end.</summary>
/// <param name="Name">The backbone being downloaded.</param>
/// <param name="BytesReceived">Bytes on disk so far, including any resumed from an earlier attempt.</param>
/// <param name="TotalBytes">The file's full size.</param>
/// <param name="BytesPerSecond">The transfer rate of the current attempt.</param>
/// <param name="Attempt">The attempt number, from 1.</param>
public readonly record struct DownloadProgress(string Name, long BytesReceived, long TotalBytes, double BytesPerSecond, int Attempt)
{
    /// <summary>The fraction done, 0 to 1.</summary>
    public double Fraction => TotalBytes > 0 ? Math.Clamp((double)BytesReceived / TotalBytes, 0, 1) : 0;
}
