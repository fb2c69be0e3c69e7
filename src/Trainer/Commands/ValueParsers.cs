using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using System.Reflection;

namespace Trainer.Commands;

/// <summary>
/// How the value of every number, enum and true/false option (and argument) is read, in one place, while the command
/// line is parsed: a value that does not read exits with <see cref="ExitCodes.BadArguments"/> and a message naming the
/// option, the value and what was expected, never a .NET type name ("as expected type 'System.Int32'").
/// <para>
/// Numbers are read in the invariant culture without thousands separators: a decimal comma is refused, not read as a
/// thousands separator (System.CommandLine's own reading took <c>--l2 0,001</c> for 1 and <c>--atol 0,5</c> for 5).
/// Enum values are matched by name only, ignoring case (not by number, nor as a comma list of flags).
/// </para>
/// <para>
/// <see cref="CommandKit.Invoke"/> attaches it to the whole command tree before parsing, so an option added later is
/// read the same way without a line of its own.
/// </para>
/// </summary>
internal static class ValueParsers
{
    private static readonly MethodInfo AttachTyped = typeof(ValueParsers).GetMethod(nameof(Attach), BindingFlags.NonPublic | BindingFlags.Static, [typeof(Symbol)])!;

    /// <summary>
    /// Gives every option and argument of <paramref name="command"/> and its subcommands whose value is an int, long,
    /// ulong, double, float, bool or enum (or a nullable one) this parser, unless it has a parser of its own.
    /// </summary>
    public static void AttachTo(Command command)
    {
        foreach (Option option in command.Options) AttachIfRead(option, option.ValueType);
        foreach (Argument argument in command.Arguments) AttachIfRead(argument, argument.ValueType);
        foreach (Command subcommand in command.Subcommands) AttachTo(subcommand);
    }

    private static void AttachIfRead(Symbol symbol, Type valueType)
    {
        Type type = Nullable.GetUnderlyingType(valueType) ?? valueType;
        if (type.IsEnum || type == typeof(int) || type == typeof(long) || type == typeof(ulong) || type == typeof(double) || type == typeof(float) || type == typeof(bool))
            AttachTyped.MakeGenericMethod(valueType).Invoke(null, [symbol]);
    }

    private static void Attach<T>(Symbol symbol)
    {
        switch (symbol)
        {
            case Option<T> { CustomParser: null } option:
                option.CustomParser = Parse<T>;
                break;
            case Argument<T> { CustomParser: null } argument:
                argument.CustomParser = Parse<T>;
                break;
        }
    }

    /// <summary>The value of the last token (as System.CommandLine reads a repeated option), or an error on <paramref name="result"/>.</summary>
    private static T? Parse<T>(ArgumentResult result)
    {
        Type type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        // A flag given without a value (--json) is on; System.CommandLine passes no token then.
        if (result.Tokens.Count == 0) return type == typeof(bool) ? (T)(object)true : default;
        string text = result.Tokens[^1].Value;
        if (TryConvert(type, text, out object? value)) return (T)value;
        result.AddError(Error(type, result.Parent is OptionResult option ? option.Option.Name : $"<{result.Argument.Name}>", text));
        return default;
    }

    /// <summary>
    /// Reads the value given to <paramref name="result"/>'s option as its parser does, for a validator (validators run
    /// before the parser, and an error from one means the parser does not run). False when no value was given, or when
    /// it does not read: then the error is added to <paramref name="result"/>, so such a value is never passed over.
    /// </summary>
    public static bool TryRead<T>(OptionResult result, out T value) where T : struct
    {
        value = default;
        if (result.Tokens.Count == 0) return false;
        string text = result.Tokens[^1].Value;
        if (TryParse(text, out value)) return true;
        result.AddError(Error(typeof(T), result.Option.Name, text));
        return false;
    }

    /// <summary>Reads <paramref name="text"/> as the parser does; <typeparamref name="T"/> is int, long, double, float, bool or an enum.</summary>
    public static bool TryParse<T>(string text, out T value) where T : struct
    {
        bool read = TryConvert(typeof(T), text, out object? converted);
        value = read ? (T)converted! : default;
        return read;
    }

    /// <summary>Whether <paramref name="text"/> is an integer, of any size (one an int cannot hold is out of range rather than "not an integer").</summary>
    public static bool IsInteger(string text) => BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);

    /// <summary>The message for <paramref name="text"/> given to <paramref name="name"/> that is no integer.</summary>
    public static string NotAnInteger(string name, string text) => $"{name}: '{text}' is not an integer (a whole number, e.g. 42).";

    private static bool TryConvert(Type type, string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out object? value)
    {
        value = null;
        if (type == typeof(double) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) value = d;
        else if (type == typeof(float) && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f)) value = f;
        else if (type == typeof(int) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)) value = i;
        else if (type == typeof(long) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) value = l;
        else if (type == typeof(ulong) && ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong u)) value = u;
        else if (type == typeof(bool) && bool.TryParse(text, out bool b)) value = b;
        else if (type.IsEnum) value = EnumByName(type, text);
        return value is not null;
    }

    /// <summary>Why <paramref name="text"/> given to <paramref name="name"/> does not read as a <paramref name="type"/>, in the user's terms.</summary>
    private static string Error(Type type, string name, string text) => type switch
    {
        _ when type == typeof(double) || type == typeof(float) => $"{name}: '{text}' is not a number (write decimals with a point, e.g. 0.001).",
        _ when type == typeof(int) && IsInteger(text) => $"{name} {text} is out of range: use {int.MinValue} to {int.MaxValue}.",
        _ when type == typeof(long) && IsInteger(text) => $"{name} {text} is out of range: use {long.MinValue} to {long.MaxValue}.",
        _ when type == typeof(ulong) && IsInteger(text) => $"{name} {text} is out of range: use 0 to {ulong.MaxValue}.",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(ulong) => NotAnInteger(name, text),
        _ when type == typeof(bool) => $"{name}: '{text}' is not true or false.",
        { IsEnum: true } => $"{name}: '{text}' is not one of {string.Join(", ", Enum.GetNames(type))}.",
        _ => $"{name}: '{text}' cannot be read.",
    };

    /// <summary>The member named <paramref name="text"/> (ignoring case and surrounding white space), or null.</summary>
    private static object? EnumByName(Type type, string text)
    {
        foreach (string name in Enum.GetNames(type))
            if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase)) return Enum.Parse(type, name);
        return null;
    }
}
