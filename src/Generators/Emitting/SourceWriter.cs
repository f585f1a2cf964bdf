// A small indenting text writer for generated source: one place that decides indentation and line endings, and records what is declared.
using System;
using System.Collections.Generic;
using System.Text;

namespace Functional.Generators.Emitting;

internal sealed class SourceWriter
{
    private readonly StringBuilder text = new();
    private readonly List<GeneratedMember> declared = [];
    private int depth;

    /// <summary>The members declared so far, in order, each once (overloads share one record).</summary>
    public IReadOnlyList<GeneratedMember> Declared => declared;

    /// <summary>Records a network-wide member of the record being declared and returns its name, to be written.</summary>
    public string Declare(string name, string what) => Record(new GeneratedMember(name, MemberScope.Record, null, what));

    /// <summary>Records a member of <paramref name="layer"/> being declared and returns its name, to be written.</summary>
    public string Declare(LayerMember member, LayerShape layer) => Record(GeneratedMembers.For(member, layer));

    private string Record(GeneratedMember member)
    {
        if (!declared.Contains(member)) declared.Add(member);
        return member.Name;
    }

    /// <summary>Writes one line at the current indentation ("\n" endings, so output is identical on every OS).</summary>
    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0) text.Append(' ', depth * 4).Append(line);
        text.Append('\n');
        return this;
    }

    /// <summary>Writes a multi-line block (a raw string), each line indented.</summary>
    public SourceWriter Lines(string block)
    {
        foreach (var line in block.Replace("\r\n", "\n").Split('\n')) Line(line);
        return this;
    }

    /// <summary>Opens a brace block; dispose the result to close it.</summary>
    public IDisposable Block(string header)
    {
        Line(header);
        Line("{");
        depth++;
        return new Closer(this);
    }

    public SourceWriter Indent() { depth++; return this; }
    public SourceWriter Outdent() { depth--; return this; }

    public override string ToString() => text.ToString();

    private sealed class Closer(SourceWriter writer) : IDisposable
    {
        public void Dispose()
        {
            writer.depth--;
            writer.Line("}");
        }
    }
}
