namespace Trainer.Commands;

/// <summary>
/// A failure a command has already put in the user's words: <see cref="CommandKit"/> prints the message, reports
/// <see cref="File"/> and <see cref="Reason"/> in the --json error, and exits with <see cref="ExitCode"/>.
/// </summary>
internal sealed class CommandFailureException(int exitCode, string message, string file, string reason, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>The file the failure is about, as the user named it.</summary>
    public string File { get; } = file;

    /// <summary>Why it failed, without the file name.</summary>
    public string Reason { get; } = reason;

    /// <summary>A bad <c>--out</c> (or other file option): exit 2, the message "<paramref name="option"/> <paramref name="file"/>: <paramref name="reason"/>".</summary>
    public static CommandFailureException BadFile(string option, string file, string reason, Exception? inner = null)
        => new(ExitCodes.BadArguments, $"{option} {file}: {reason}", file, reason, inner);
}
