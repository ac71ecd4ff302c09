// Seed 1, reader: every interval reads 1024 bytes at offset 0 of the memory map,
// deserializes them with BinaryFormatter and prints the Message as the seed does:
// Console.WriteLine(title + "\n" + content + "\n"), i.e. title, content and an
// empty line.
//
//   mono Proc2.exe PATH [--interval MS] [--count N] [--changes] [--size BYTES]
//
// A read that fails prints one line "error: <ExceptionTypeFullName>: <message>"
// and the reader goes on. Stops after N reads (0, the default: never).
// With --changes a message is printed only when (title, content) differs from the
// last message printed, and an error only when it differs from the line printed
// just before (so a waiting test sees no duplicates).
//
// The map is backed by the file PATH (created, zero-filled, if missing). --size is
// its capacity as for Proc1 (default 1024; 0 = an existing file's own size); a read
// is always the seed's 1024 bytes.
using System;
using System.Globalization;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.Serialization.Formatters.Binary;
using System.Text;
using System.Threading;

class Proc2
{
    const int MapSize = 1024;  // the seed's map size (and Proc2's read size)

    static int Main(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        if (args.Length < 1)
            return Usage();
        string path = args[0];
        int interval = 1000;
        long size = MapSize;
        long count = 0;
        bool changes = false;
        for (int a = 1; a < args.Length; a++)
        {
            switch (args[a])
            {
                case "--interval":
                    if (++a >= args.Length) return Usage();
                    interval = int.Parse(args[a], CultureInfo.InvariantCulture);
                    break;
                case "--count":
                    if (++a >= args.Length) return Usage();
                    count = long.Parse(args[a], CultureInfo.InvariantCulture);
                    break;
                case "--changes": changes = true; break;
                case "--size":
                    if (++a >= args.Length) return Usage();
                    size = long.Parse(args[a], CultureInfo.InvariantCulture);
                    break;
                default: return Usage();
            }
        }

        using (var mmf = MemoryMappedFile.CreateFromFile(
                   path, FileMode.OpenOrCreate, null, size, MemoryMappedFileAccess.ReadWrite))
        using (var viewStream = mmf.CreateViewStream(0, size))
        {
            var formatter = new BinaryFormatter();
            byte[] buffer = new byte[MapSize];
            bool havePair = false;
            string lastTitle = null, lastContent = null, lastLine = null;
            for (long i = 1; count == 0 || i <= count; i++)
            {
                string output;
                try
                {
                    viewStream.Seek(0, SeekOrigin.Begin);
                    int read = 0;
                    while (read < MapSize)
                    {
                        int n = viewStream.Read(buffer, read, MapSize - read);
                        if (n <= 0) break;
                        read += n;
                    }
                    Message message1 = (Message)formatter.Deserialize(new MemoryStream(buffer));
                    output = message1.title + "\n" + message1.content + "\n";
                    if (changes && havePair && message1.title == lastTitle && message1.content == lastContent)
                        output = null;
                    else
                    {
                        havePair = true;
                        lastTitle = message1.title;
                        lastContent = message1.content;
                    }
                }
                catch (Exception e)
                {
                    output = "error: " + e.GetType().FullName + ": " + e.Message.Replace("\r", " ").Replace("\n", " ");
                    if (changes && output == lastLine)
                        output = null;
                }
                if (output != null)
                {
                    Console.WriteLine(output);
                    Console.Out.Flush();
                    lastLine = output;
                }
                if (count == 0 || i < count)
                    Thread.Sleep(interval);
            }
        }
        return 0;
    }

    static int Usage()
    {
        Console.Error.WriteLine("usage: Proc2.exe PATH [--interval MS] [--count N] [--changes] [--size BYTES]");
        return 2;
    }
}
