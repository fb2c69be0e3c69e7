using System.Runtime.InteropServices;

namespace Trainer.Commands;

/// <summary>
/// While a command runs, the first SIGINT (Ctrl-C) or SIGTERM cancels <see cref="Token"/>, which the command hands to
/// every long library call. The command then unwinds as after an error: a save in progress deletes its temporary file,
/// the progress display is disposed (giving the terminal its cursor back), and the error says it was cancelled, with
/// <see cref="ExitCode"/>. A second signal is left to its default action, which ends the process at once, for a run
/// that does not stop soon enough. A signal the process inherited as ignored (SIGINT in a job that a script started
/// with <c>&amp;</c>) stays ignored, as the runtime keeps it: the handler then never runs, and SIGTERM still cancels.
/// <para>
/// System.CommandLine's own handling is not used: once its timeout passes it returns from Main while the work is still
/// running, and the process exit then cuts that work off mid-write, with no message.
/// </para>
/// </summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signalled;

    private SignalCancellation(CancellationToken caller) => _source = CancellationTokenSource.CreateLinkedTokenSource(caller);

    /// <summary>Cancelled by the first SIGINT or SIGTERM, or by the caller's token (tests cancel a command in-process with it).</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The signal that cancelled the command, or null (none yet, or the caller's token did).</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary><see cref="ExitCodes.Terminated"/> after SIGTERM, else <see cref="ExitCodes.Interrupted"/>.</summary>
    public int ExitCode => Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;

    /// <summary>What cancelled the command, in the user's terms.</summary>
    public string Cause => Signal switch
    {
        PosixSignal.SIGINT => "SIGINT (Ctrl-C)",
        PosixSignal.SIGTERM => "SIGTERM",
        _ => "request",
    };

    /// <summary>Starts listening for SIGINT and SIGTERM; <paramref name="caller"/> cancels the token too.</summary>
    public static SignalCancellation Listen(CancellationToken caller)
    {
        var listener = new SignalCancellation(caller);
        foreach (PosixSignal signal in (PosixSignal[])[PosixSignal.SIGINT, PosixSignal.SIGTERM])
        {
            try
            {
                listener._registrations.Add(PosixSignalRegistration.Create(signal, listener.OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // A platform without this signal cannot send it either.
            }
        }
        return listener;
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 1)
        {
            // Not cancelled: the runtime's default action ends the process now. The progress display will not get to
            // show the cursor it hid, so it is shown here.
            ShowCursor();
            return;
        }
        Signal = context.Signal;
        context.Cancel = true;
        try
        {
            // Asynchronously: the library's cancellation callbacks should not run on the runtime's signal thread.
            _ = _source.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The command finished as the signal arrived.
        }
    }

    private static void ShowCursor()
    {
        if (Console.IsOutputRedirected) return;
        try
        {
            Console.CursorVisible = true;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException)
        {
        }
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations) registration.Dispose();
        _source.Dispose();
    }
}
