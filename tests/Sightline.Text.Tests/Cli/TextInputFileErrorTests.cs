namespace Sightline.Text.Tests.Cli;

/// <summary>
/// Every text input option pointing at the wrong thing (a folder, a missing, empty or binary file, a CSV without the
/// column it needs, a file where a folder is wanted) ends in one line, exit 2, naming the option and saying what it takes:
/// never an operating-system message such as "Access to the path is denied", never exit 3, never garbage prompts.
/// </summary>
public sealed class TextInputFileErrorTests
{
    private static readonly byte[] Binary = [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, (byte)'\n', (byte)'x', (byte)',', (byte)'y', (byte)'\n'];

    /// <summary>Lays out the files the cases point at and a valid attributions table (o.csv).</summary>
    private static TempFolder Setup()
    {
        var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("folder"));
        Directory.CreateDirectory(dir.File("folder.csv"));
        File.WriteAllBytes(dir.File("empty.txt"), []);
        File.WriteAllBytes(dir.File("empty.csv"), []);
        File.WriteAllText(dir.File("blank.txt"), "\n  \n\n");
        File.WriteAllText(dir.File("header.csv"), "prompt,aspect\n");
        File.WriteAllText(dir.File("noprompt.csv"), "text,aspect\nhello world,positive\n");
        File.WriteAllBytes(dir.File("binary.txt"), Binary);
        File.WriteAllBytes(dir.File("binary.csv"), Binary);
        File.WriteAllBytes(dir.File("latin1.txt"), [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)' ', (byte)'o', (byte)'k', (byte)'\n']);
        File.WriteAllText(dir.File("file"), "not a folder\n");
        File.WriteAllText(dir.File("p.txt"), "good movie\nbad film here\n");
        var (code, _, err) = TextCli.Run("text", "explain", "--prompts", dir.File("p.txt"), "--explainer", "tokenshap", "--llm", "none", "--out", dir.File("o.csv"));
        Assert.True(code == 0, err);
        return dir;
    }

    public static TheoryData<string, string, string[]> Cases => new()
    {
        // --prompts (explain)
        { "--prompts", "is a folder, not a file; give a .txt file (one prompt per line) or a .csv file", ["explain", "--prompts", "{folder}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "is a folder, not a file; give a .txt file", ["explain", "--prompts", "{folder.csv}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "file not found; give a .txt file", ["explain", "--prompts", "{missing.txt}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "the file is empty", ["explain", "--prompts", "{empty.txt}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "the file is empty", ["explain", "--prompts", "{empty.csv}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "no prompts (only blank lines", ["explain", "--prompts", "{blank.txt}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "no prompts (a header row but no rows", ["explain", "--prompts", "{header.csv}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "no 'prompt' column (columns: text, aspect)", ["explain", "--prompts", "{noprompt.csv}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "not a text file (a NUL byte at offset 7", ["explain", "--prompts", "{binary.txt}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "not a text file (a NUL byte at offset 7", ["explain", "--prompts", "{binary.csv}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        { "--prompts", "not UTF-8 text (invalid bytes at offset 3)", ["explain", "--prompts", "{latin1.txt}", "--explainer", "tokenshap", "--llm", "none", "--out", "{out}"] },
        // --cache, --tokenizer, --wordnet, --out, --classifier
        { "--cache", "is a file, not a folder; give a folder", ["explain", "--prompts", "{p.txt}", "--explainer", "tokenshap", "--llm", "none", "--cache", "{file}", "--out", "{out}"] },
        { "--tokenizer", "is a folder, not a file; give 'minilm' or a BERT vocab.txt", ["explain", "--prompt", "a b c", "--explainer", "tokenshap", "--llm", "none", "--tokenizer", "{folder}", "--out", "{out}"] },
        { "--tokenizer", "not a text file", ["explain", "--prompt", "a b c", "--explainer", "tokenshap", "--llm", "none", "--tokenizer", "{binary.txt}", "--out", "{out}"] },
        { "--tokenizer", "not a BERT vocab.txt (no [UNK] line)", ["explain", "--prompt", "a b c", "--explainer", "tokenshap", "--llm", "none", "--tokenizer", "{p.txt}", "--out", "{out}"] },
        { "--wordnet", "is a file, not a folder", ["explain", "--prompt", "a b c", "--explainer", "semex-B-r", "--llm", "none", "--wordnet", "{file}", "--out", "{out}"] },
        { "--out", "is a folder; give a file name ending in .csv", ["explain", "--prompt", "a b c", "--explainer", "tokenshap", "--llm", "none", "--out", "{folder}"] },
        { "--out", "unknown output extension '.txt'", ["explain", "--prompt", "a b c", "--explainer", "tokenshap", "--llm", "none", "--out", "{x.txt}"] },
        { "--classifier", "is a folder, not a file; give an ONNX text classifier", ["explain", "--prompt", "a b c", "--explainer", "tokenshap", "--llm", "none", "--classifier", "{folder}", "--classifier-class", "positive", "--out", "{out}"] },
        // --attributions (faithfulness, accuracy, steer)
        { "--attributions", "is a folder, not a file; give the attributions .csv", ["faithfulness", "--attributions", "{folder}", "--llm", "none", "--out", "{out}"] },
        { "--attributions", "is a folder, not a file", ["accuracy", "--attributions", "{folder.csv}", "--labels", "{noprompt.csv}", "--out", "{acc.json}"] },
        { "--attributions", "file not found", ["accuracy", "--attributions", "{missing.csv}", "--labels", "{noprompt.csv}", "--out", "{acc.json}"] },
        { "--attributions", "the file is empty", ["accuracy", "--attributions", "{empty.csv}", "--labels", "{noprompt.csv}", "--out", "{acc.json}"] },
        { "--attributions", "not a text file", ["faithfulness", "--attributions", "{binary.csv}", "--llm", "none", "--out", "{out}"] },
        { "--attributions", "not an attributions table (needs prompt_index, player_index, player, value; has text, aspect)", ["accuracy", "--attributions", "{noprompt.csv}", "--labels", "{noprompt.csv}", "--out", "{acc.json}"] },
        { "--cache", "is a file, not a folder", ["faithfulness", "--attributions", "{o.csv}", "--llm", "none", "--cache", "{file}", "--out", "{out}"] },
        { "--prompts", "is a folder, not a file", ["steer", "--attributions", "{o.csv}", "--classifier", "{missing.onnx}", "--classifier-class", "x", "--prompts", "{folder}", "--out", "{out}"] },
        // --labels (accuracy)
        { "--labels", "is a folder, not a file; give a .csv file with a 'label' column", ["accuracy", "--attributions", "{o.csv}", "--labels", "{folder}", "--out", "{acc.json}"] },
        { "--labels", "file not found", ["accuracy", "--attributions", "{o.csv}", "--labels", "{missing.csv}", "--out", "{acc.json}"] },
        { "--labels", "the file is empty", ["accuracy", "--attributions", "{o.csv}", "--labels", "{empty.csv}", "--out", "{acc.json}"] },
        { "--labels", "not a text file", ["accuracy", "--attributions", "{o.csv}", "--labels", "{binary.csv}", "--out", "{acc.json}"] },
        { "--labels", "no 'label' column (columns: prompt, aspect)", ["accuracy", "--attributions", "{o.csv}", "--labels", "{header.csv}", "--out", "{acc.json}"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_wrong_input_file_is_one_line_naming_the_option_with_exit_two(string option, string expected, string[] args)
    {
        using var dir = Setup();
        var resolved = args.Select(a => a == "{out}" ? dir.File("result.csv") : a.StartsWith('{') ? dir.File(a[1..^1]) : a).ToArray();
        var (code, stdout, err) = TextCli.Run(["text", .. resolved]);
        Assert.True(code == 2, $"exit {code}: {stdout}{err}");
        var line = Assert.Single(err.Trim().Split('\n'));
        Assert.StartsWith($"sightline: error: {option} ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("denied", line);
        Assert.DoesNotContain("already exists", line);
        Assert.True(line.Length < 400, $"The message is {line.Length} characters long: {line}");
        Assert.False(File.Exists(dir.File("result.csv")));
    }
}
