namespace Trainer.Commands;

/// <summary>The trainer's exit codes. Scripts rely on them; never renumber.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The command ran but its check failed (a conformance case, an accuracy bar: retrain's new model clearly
    /// worse than the --model it would replace, which is then left as it was).</summary>
    public const int CheckFailed = 1;

    /// <summary>Wrong arguments: a missing file, an option out of range, a file of the wrong kind, an --out that would
    /// replace an input or a file the command does not write, or a folder it cannot write in.</summary>
    public const int BadArguments = 2;

    /// <summary>Invalid input data: a corrupt image, a malformed model, a hostile zip.</summary>
    public const int InvalidInput = 3;

    /// <summary>An unexpected internal error.</summary>
    public const int InternalError = 70;

    /// <summary>
    /// Cancelled by SIGINT (Ctrl-C) before the command finished; what it was writing was not saved, and an existing
    /// --out is unchanged. 128 + 2, as a shell reports a process the signal ended.
    /// </summary>
    public const int Interrupted = 130;

    /// <summary>Cancelled by SIGTERM, as <see cref="Interrupted"/>: 128 + 15.</summary>
    public const int Terminated = 143;
}
