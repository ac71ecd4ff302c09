// Types shared by the test programs (compiled to MessageLib.dll, assembly name MessageLib).
//
// BinaryFormatter records the assembly of every serialized class, so the writer
// (Proc1, Values) and the reader (Proc2) must both load the same MessageLib
// assembly for a value to deserialize. Message has no namespace, like the seed.
using System;

[Serializable]
public class Message
{
    public string title;
    public string content;
}

// One field of (almost) every type BinaryFormatter encodes; filled in by Values.cs.
[Serializable]
public class Sample
{
    public int count;
    public long big;
    public double ratio;
    public float single;
    public bool flag;
    public char letter;
    public byte small;
    public short shorty;
    public decimal money;
    public DateTime whenUtc;          // DateTimeKind.Utc
    public DateTime whenLocal;        // DateTimeKind.Local
    public DateTime whenUnspecified;  // DateTimeKind.Unspecified
    public TimeSpan span;
    public string name;
    public string nothing;            // always null
    public Message nested;
    public int[] numbers;
    public string[] words;
    public double[] empty;            // zero-length
    public Message[] messages;        // two entries, the second null
}
