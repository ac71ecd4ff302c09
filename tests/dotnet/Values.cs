// Serializes one Sample (MessageLib.dll) with fixed, awkward values with
// BinaryFormatter at offset 0 of a 4096-byte memory map backed by the file PATH,
// then prints every field as "name=value", one per line, and "done".
//
//   mono Values.exe PATH
//
// Printed forms (all culture-invariant, output pure ASCII):
//   integers (int, long, byte, short)  decimal digits
//   double, float                      ToString("R")
//   bool                               true / false
//   char                               its UTF-16 code unit as a decimal number
//   decimal                            ToString(InvariantCulture), scale kept ("1.50")
//   DateTime                           <Ticks>,<Kind>   e.g. 638447619301234567,Utc
//   TimeSpan                           Ticks
//   string                             JSON string literal (non-ASCII as \uXXXX) or null
//   arrays                             [a,b,c] with elements printed as above (valid JSON)
//   Message fields                     nested.title, nested.content, messages[0].title, ...;
//                                      a null Message prints as messages[1]=null
using System;
using System.Globalization;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.Serialization.Formatters.Binary;
using System.Text;

class Values
{
    const int MapSize = 4096;
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    static int Main(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: Values.exe PATH");
            return 2;
        }
        Sample s = Build();
        using (var mmf = MemoryMappedFile.CreateFromFile(
                   args[0], FileMode.OpenOrCreate, null, MapSize, MemoryMappedFileAccess.ReadWrite))
        using (var viewStream = mmf.CreateViewStream(0, MapSize))
        {
            new BinaryFormatter().Serialize(viewStream, s);
            viewStream.Flush();
        }
        Print(s);
        Console.WriteLine("done");
        Console.Out.Flush();
        return 0;
    }

    static Sample Build()
    {
        var s = new Sample();
        s.count = -42;
        s.big = -9007199254740993L;                      // not representable as a double
        s.ratio = -1.0 / 3.0;
        s.single = 1.1f;                                 // inexact in binary
        s.flag = true;
        s.letter = '\u00e9';                             // é
        s.small = 255;
        s.shorty = -32768;
        s.money = -12345.6789m;
        s.whenUtc = new DateTime(2024, 2, 29, 13, 45, 30, 123, DateTimeKind.Utc).AddTicks(4567);
        s.whenLocal = new DateTime(2001, 9, 9, 1, 46, 40, 5, DateTimeKind.Local).AddTicks(1);
        s.whenUnspecified = new DateTime(1999, 12, 31, 23, 59, 59, 999, DateTimeKind.Unspecified).AddTicks(9999);
        s.span = -(new TimeSpan(1, 2, 3, 4, 567) + TimeSpan.FromTicks(8901));
        // umlauts, CJK, a snowman, an astral character (surrogate pair), quotes,
        // a backslash and control characters
        s.name = "Gr\u00fc\u00dfe, \u4e16\u754c \u2603 \U0001F680 \"q\" \\ \t\n\u0001end";
        s.nothing = null;
        s.nested = new Message { title = "nested title", content = "\u00fcn\u00efc\u00f6d\u00e9 content" };
        s.numbers = new int[] { 1, -2, 2147483647 };
        s.words = new string[] { "alpha", null, "gamma" };
        s.empty = new double[0];
        // "alpha" is the same (interned) string object as words[0]: BinaryFormatter
        // writes it once and refers back to it.
        s.messages = new Message[] { new Message { title = "alpha", content = "first message" }, null };
        return s;
    }

    static void Print(Sample s)
    {
        Line("count", s.count.ToString(Inv));
        Line("big", s.big.ToString(Inv));
        Line("ratio", s.ratio.ToString("R", Inv));
        Line("single", s.single.ToString("R", Inv));
        Line("flag", s.flag ? "true" : "false");
        Line("letter", ((int)s.letter).ToString(Inv));
        Line("small", s.small.ToString(Inv));
        Line("shorty", s.shorty.ToString(Inv));
        Line("money", s.money.ToString(Inv));
        Line("whenUtc", When(s.whenUtc));
        Line("whenLocal", When(s.whenLocal));
        Line("whenUnspecified", When(s.whenUnspecified));
        Line("span", s.span.Ticks.ToString(Inv));
        Line("name", Json(s.name));
        Line("nothing", Json(s.nothing));
        PrintMessage("nested", s.nested);
        var numbers = new string[s.numbers.Length];
        for (int i = 0; i < numbers.Length; i++) numbers[i] = s.numbers[i].ToString(Inv);
        Line("numbers", "[" + string.Join(",", numbers) + "]");
        var words = new string[s.words.Length];
        for (int i = 0; i < words.Length; i++) words[i] = Json(s.words[i]);
        Line("words", "[" + string.Join(",", words) + "]");
        var empty = new string[s.empty.Length];
        for (int i = 0; i < empty.Length; i++) empty[i] = s.empty[i].ToString("R", Inv);
        Line("empty", "[" + string.Join(",", empty) + "]");
        Line("messages.length", s.messages.Length.ToString(Inv));
        for (int i = 0; i < s.messages.Length; i++)
            PrintMessage("messages[" + i.ToString(Inv) + "]", s.messages[i]);
    }

    static void PrintMessage(string prefix, Message m)
    {
        if (m == null)
        {
            Line(prefix, "null");
            return;
        }
        Line(prefix + ".title", Json(m.title));
        Line(prefix + ".content", Json(m.content));
    }

    static string When(DateTime d)
    {
        return d.Ticks.ToString(Inv) + "," + d.Kind.ToString();
    }

    static void Line(string name, string value)
    {
        Console.WriteLine(name + "=" + value);
    }

    // A JSON string literal; everything outside printable ASCII as \uXXXX (UTF-16
    // code units, so astral characters become a surrogate pair of escapes).
    static string Json(string s)
    {
        if (s == null)
            return "null";
        var b = new StringBuilder("\"");
        foreach (char c in s)
        {
            if (c == '"') b.Append("\\\"");
            else if (c == '\\') b.Append("\\\\");
            else if (c >= 0x20 && c < 0x7f) b.Append(c);
            else b.Append("\\u").Append(((int)c).ToString("x4", Inv));
        }
        return b.Append('"').ToString();
    }
}
