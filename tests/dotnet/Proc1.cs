// Seed 1, writer: serializes a Message with BinaryFormatter at offset 0 of a
// 1024-byte memory map, again and again.
//
//   mono Proc1.exe PATH [--interval MS] [--count N] [--title T] [--content C] [--size BYTES]
//
// Write i (1, 2, 3, ...) is Message{title = T, content = C + " " + i}; after each
// write prints "wrote <i>". --count 0 (the default) writes forever.
//
// Named maps are private to a process on Mono/Linux, so the map is backed by the
// file PATH (e.g. /dev/shm/NAME), created if missing. --size is the map's capacity
// (default 1024, the seed's); a file larger than that cannot be opened (.NET and
// Mono throw ArgumentOutOfRangeException), a smaller one is grown. --size 0 maps an
// existing, non-empty file at its own size.
using System;
using System.Globalization;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.Serialization.Formatters.Binary;
using System.Text;
using System.Threading;

class Proc1
{
    const int MapSize = 1024;  // the seed's map size

    static int Main(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        if (args.Length < 1 || args.Length % 2 != 1)
            return Usage();
        string path = args[0];
        int interval = 1000;
        long size = MapSize;
        long count = 0;
        string title = "test";
        string content = "hello world";
        for (int a = 1; a < args.Length; a += 2)
        {
            string value = args[a + 1];
            switch (args[a])
            {
                case "--interval": interval = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--count": count = long.Parse(value, CultureInfo.InvariantCulture); break;
                case "--title": title = value; break;
                case "--content": content = value; break;
                case "--size": size = long.Parse(value, CultureInfo.InvariantCulture); break;
                default: return Usage();
            }
        }

        using (var mmf = MemoryMappedFile.CreateFromFile(
                   path, FileMode.OpenOrCreate, null, size, MemoryMappedFileAccess.ReadWrite))
        using (var viewStream = mmf.CreateViewStream(0, size))
        {
            var formatter = new BinaryFormatter();
            for (long i = 1; count == 0 || i <= count; i++)
            {
                var msg = new Message { title = title, content = content + " " + i };
                viewStream.Seek(0, SeekOrigin.Begin);
                formatter.Serialize(viewStream, msg);
                viewStream.Flush();
                Console.WriteLine("wrote " + i);
                Console.Out.Flush();
                if (count == 0 || i < count)
                    Thread.Sleep(interval);
            }
        }
        return 0;
    }

    static int Usage()
    {
        Console.Error.WriteLine("usage: Proc1.exe PATH [--interval MS] [--count N] [--title T] [--content C] [--size BYTES]");
        return 2;
    }
}
