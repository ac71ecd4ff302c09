// Seed 2, server: writes UTF-8 text at offset 0 of a 10000-byte memory map with a
// view accessor, prints "ready" and sleeps.
//
//   mono Server.exe PATH [--text T] [--seconds S]
//
// T defaults to the seed's "The world is going down.", S to 100 (may be fractional).
// The map is backed by the file PATH, created if missing.
using System;
using System.Globalization;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Threading;

class Server
{
    const int MapSize = 10000;

    static int Main(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        if (args.Length < 1 || args.Length % 2 != 1)
            return Usage();
        string path = args[0];
        string text = "The world is going down.";
        double seconds = 100;
        for (int a = 1; a < args.Length; a += 2)
        {
            switch (args[a])
            {
                case "--text": text = args[a + 1]; break;
                case "--seconds": seconds = double.Parse(args[a + 1], CultureInfo.InvariantCulture); break;
                default: return Usage();
            }
        }

        using (var mmf = MemoryMappedFile.CreateFromFile(
                   path, FileMode.OpenOrCreate, null, MapSize, MemoryMappedFileAccess.ReadWrite))
        using (var accessor = mmf.CreateViewAccessor())
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            accessor.WriteArray(0, bytes, 0, bytes.Length);
            accessor.Flush();
            Console.WriteLine("ready");
            Console.Out.Flush();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
        }
        return 0;
    }

    static int Usage()
    {
        Console.Error.WriteLine("usage: Server.exe PATH [--text T] [--seconds S]");
        return 2;
    }
}
