using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pipeline.Datasets;
using Pipeline.Graph;
using Pipeline.Imaging;

namespace Trainer.Commands;

/// <summary>
/// The plumbing every command shares: the <c>--json</c> option, a writer that prints either human lines or one JSON
/// object per line (camelCase keys), and the mapping from exceptions to stderr messages and <see cref="ExitCodes"/>.
/// A command builds its options, then calls <see cref="SetAction"/> with a body that returns an exit code.
/// </summary>
internal static class CommandKit
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // Undefined metrics are null, never the strings "NaN" or "Infinity": the output stays plain JSON numbers.
        Converters = { new NonFiniteAsNullConverter<double>((w, v) => w.WriteNumberValue(v)), new NonFiniteAsNullConverter<float>((w, v) => w.WriteNumberValue(v)) },
    };

    /// <summary>The <c>--json</c> flag, shared by every command.</summary>
    public static Option<bool> JsonOption { get; } = new("--json") { Description = "Print one JSON object per line (camelCase keys) instead of text." };

    /// <summary>
    /// Adds <c>--json</c> to <paramref name="command"/> and runs <paramref name="body"/> as its action, turning the
    /// boundary exceptions into a message on stderr (naming the file and the reason) and an exit code. The body's
    /// token is cancelled by SIGINT or SIGTERM (<see cref="SignalCancellation"/>); the command must pass it to every long
    /// call, and its cancellation is reported as such.
    /// </summary>
    public static void SetAction(Command command, Func<CommandOutput, ParseResult, CancellationToken, int> body)
    {
        command.Options.Add(JsonOption);
        command.SetAction((parse, caller) =>
        {
            var output = new CommandOutput(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, parse.GetValue(JsonOption), command.Name);
            using SignalCancellation signals = SignalCancellation.Listen(caller);
            return Task.FromResult(Run(body, output, parse, signals, writesOut: command.Options.Any(o => o.Name == "--out")));
        });
    }

    private static int Run(Func<CommandOutput, ParseResult, CancellationToken, int> body, CommandOutput output, ParseResult parse, SignalCancellation signals, bool writesOut)
    {
        try
        {
            return body(output, parse, signals.Token);
        }
        catch (OperationCanceledException) when (signals.Token.IsCancellationRequested)
        {
            string reason = $"cancelled by {signals.Cause}";
            return output.Error(signals.ExitCode, $"{reason} before it finished{(writesOut ? "; --out was not written (an existing file there is unchanged)" : "")}.", null, reason);
        }
        catch (CommandFailureException e)
        {
            return output.Error(e.ExitCode, e.Message, e.File, e.Reason);
        }
        catch (InvalidModelException e)
        {
            return output.Error(ExitCodes.InvalidInput, e.Message, e.File, e.Reason);
        }
        catch (Pipeline.Persistence.InvalidModelPackageException e)
        {
            return output.Error(ExitCodes.InvalidInput, e.Message, e.File, e.Reason);
        }
        catch (InvalidDatasetException e)
        {
            // The files left out on the way are often what to fix: listed as a successful run lists them.
            return output.Error(ExitCodes.InvalidInput, e.Message, e.DatasetPath, e.Reason, e.Excluded);
        }
        catch (Pipeline.Featurizers.Backbones.BackboneUnavailableException e)
        {
            return output.Error(ExitCodes.InvalidInput, e.Message, e.ExpectedPath ?? e.Backbone, e.Reason);
        }
        catch (InvalidImageException e)
        {
            return output.Error(ExitCodes.InvalidInput, e.Message, e.File, e.Detail);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return output.Error(ExitCodes.BadArguments, e.Message, (e as FileNotFoundException)?.FileName, "not found");
        }
        catch (ArgumentException e)
        {
            string message = WithoutParameterNote(e);
            return output.Error(ExitCodes.BadArguments, message, null, message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return output.Error(ExitCodes.BadArguments, e.Message, null, e.Message);
        }
        catch (OutOfMemoryException)
        {
            // Not a bug to report with a stack trace: the request (a batch, a model, a thread count) outgrew this machine.
            return output.Error(ExitCodes.InternalError,
                "out of memory: this run needs more memory than the machine has; make what it asked for smaller (a bench --batch, the mlp's --hidden sizes, the network) or use fewer --threads.",
                null, "out of memory");
        }
        catch (Exception e)
        {
            return output.Error(ExitCodes.InternalError, $"internal error: {e}", null, e.Message);
        }
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>; a command line that does not parse exits with <see cref="ExitCodes.BadArguments"/>,
    /// its errors reported as the command reports its own (prefixed with its name; JSON objects with --json).
    /// <paramref name="cancellation"/> cancels the command as SIGINT would.
    /// </summary>
    public static int Invoke(RootCommand root, string[] args, InvocationConfiguration? configuration = null, CancellationToken cancellation = default)
    {
        ValueParsers.AttachTo(root);
        ParseResult parse = root.Parse(args);
        configuration ??= new InvocationConfiguration();
        if (parse.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            // A script that asked for JSON reads stderr as JSON too: the same shape as a runtime error, one per line.
            var errors = new CommandOutput(TextWriter.Null, configuration.Error, WantsJson(parse, args), parse.CommandResult.Command.Name);
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors) errors.Error(ExitCodes.BadArguments, error.Message, reason: error.Message);
            if (!errors.Json) configuration.Error.WriteLine("Run with --help for usage.");
            return ExitCodes.BadArguments;
        }
        // Off: the commands handle SIGINT and SIGTERM themselves (see SignalCancellation for why).
        configuration.ProcessTerminationTimeout = null;
        // The actions run synchronously: the task is complete when InvokeAsync returns.
        return parse.InvokeAsync(configuration, cancellation).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Whether a command line that did not parse asked for JSON: <c>--json</c>, <c>--json=true</c> or <c>--json true</c>
    /// as the parser read it, or a <c>--json</c> token the parser never got to (an unknown command).
    /// </summary>
    private static bool WantsJson(ParseResult parse, string[] args)
    {
        if (parse.GetResult(JsonOption) is { Implicit: false } json)
        {
            try
            {
                return json.GetValueOrDefault<bool>();
            }
            catch (InvalidOperationException)
            {
                return true; // --json=maybe: JSON was meant, and its error is among the others
            }
        }
        string name = JsonOption.Name;
        return args.Any(a => a == name || (a.Length > name.Length + 1 && a.StartsWith(name, StringComparison.Ordinal) && a[name.Length] is '=' or ':'
                                           && !a.AsSpan(name.Length + 1).Equals("false", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// The message without .NET's " (Parameter 'x')" and "Actual value was ..." notes: they name a C# parameter the user
    /// never saw (the library's own text names the setting).
    /// </summary>
    internal static string WithoutParameterNote(ArgumentException e)
    {
        string message = e.Message;
        if (e is ArgumentOutOfRangeException { ActualValue: not null })
        {
            int actual = message.LastIndexOf(Environment.NewLine + "Actual value was ", StringComparison.Ordinal);
            if (actual >= 0) message = message[..actual];
        }
        if (e.ParamName is { } name) message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        return message;
    }

    /// <summary>Serializes one record as a single JSON line.</summary>
    public static string ToJson(object record) => JsonSerializer.Serialize(record, JsonOptions);
}

/// <summary>Where a command writes: human text or JSON lines on stdout, errors on stderr.</summary>
internal sealed class CommandOutput(TextWriter output, TextWriter error, bool json, string command)
{
    /// <summary>True when the user asked for JSON lines.</summary>
    public bool Json { get; } = json;

    /// <summary>Writes one result: <paramref name="text"/> in text mode, <paramref name="record"/> as a JSON line with --json.</summary>
    public void Write(string text, object record) => output.WriteLine(Json ? CommandKit.ToJson(record) : Printable(text));

    /// <summary>Writes a line in text mode only (headers, tables).</summary>
    public void Text(string text)
    {
        if (!Json) output.WriteLine(Printable(text));
    }

    /// <summary>
    /// Writes a note on stderr that does not fail the command (stdout stays the results, so scripts reading it are not
    /// disturbed); a JSON object <c>{"warning": ...}</c> with --json.
    /// </summary>
    public void Warning(string message) => error.WriteLine(Json ? CommandKit.ToJson(new { warning = message, command }) : Printable($"{command}: warning: {message}"));

    /// <summary>
    /// Reports a failure on stderr (a JSON object with --json) and returns <paramref name="exitCode"/>. With
    /// <paramref name="excluded"/> (data that was found unusable) the files left out follow, as a successful run lists
    /// them: the count and the first few in text, all of them in JSON (<c>excludedCount</c>, <c>excluded</c>).
    /// </summary>
    public int Error(int exitCode, string message, string? file = null, string? reason = null, IReadOnlyList<ExcludedFile>? excluded = null)
    {
        if (Json)
        {
            error.WriteLine(excluded is null
                ? CommandKit.ToJson(new { error = message, command, file, reason, exitCode })
                : CommandKit.ToJson(new { error = message, command, file, reason, exitCode, excludedCount = excluded.Count, excluded = MetricsText.ExclusionRecords(excluded) }));
            return exitCode;
        }
        error.WriteLine(Printable($"{command}: {message}"));
        // On stderr with the error it explains (stdout stays for results).
        if (excluded is not null) MetricsText.Exclusions(new CommandOutput(error, error, json: false, command), excluded);
        return exitCode;
    }

    /// <summary>
    /// Text with its control characters (but line breaks) shown as \u escapes: a file name may hold an ESC sequence,
    /// which a terminal would obey, or a carriage return that hides the line. JSON escapes them by itself.
    /// </summary>
    internal static string Printable(string text)
    {
        int i = 0;
        while (i < text.Length && Shown(text, i)) i++;
        if (i == text.Length) return text;
        var result = new System.Text.StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            if (Shown(text, i)) result.Append(text[i]);
            else result.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)text[i]:X4}");
        }
        return result.ToString();
    }

    /// <summary>Printed as it is: not a control character, or a line break (\n, or \r\n as Windows writes lines).</summary>
    private static bool Shown(string text, int i)
        => !char.IsControl(text[i]) || text[i] == '\n' || (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n');
}
