using System.CommandLine;
using System.CommandLine.Parsing;

namespace Trainer.Commands;

/// <summary>
/// Options and arguments that name a file or folder refuse an empty or all-white-space value while the command line is
/// parsed (exit 2), naming the option: such a value used to reach the file system, where "" gave .NET's "The value cannot
/// be an empty string" (naming no option) and a --cache of three spaces quietly made a folder of that name.
/// </summary>
internal static class PathOptions
{
    /// <summary>Adds the check to <paramref name="option"/>; <paramref name="expected"/> says what to name instead, e.g. "a model.zip file".</summary>
    public static T NotBlank<T>(this T option, string expected) where T : Option
    {
        option.Validators.Add(result =>
        {
            foreach (Token token in result.Tokens)
                if (Blank(token.Value) is { } how) result.AddError($"{option.Name} is {how}: name {expected}.");
        });
        return option;
    }

    /// <summary>Adds the check to each value of <paramref name="argument"/>, called &lt;name&gt; as in the usage text.</summary>
    public static Argument<T> NotBlank<T>(this Argument<T> argument, string expected)
    {
        argument.Validators.Add(result =>
        {
            foreach (Token token in result.Tokens)
                if (Blank(token.Value) is { } how) result.AddError($"<{argument.Name}> is {how}: name {expected}.");
        });
        return argument;
    }

    private static string? Blank(string value) => value.Length == 0 ? "empty" : string.IsNullOrWhiteSpace(value) ? "only white space" : null;
}
