package dev.exactlyonce.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One grpcurl command line as the docs show it, read from README.md and docs/*.md: the one source
 * of the grpcurl examples, which {@code DocumentedGrpcurlTest} checks against the contract and
 * {@link GrpcurlExercises} sends to a running lab.
 *
 * <p>What is read: in fenced code blocks, every line whose first word is {@code grpcurl} (with its
 * {@code \} continuation lines, and the here-document of {@code -d @ ... <<EOF}); in prose, inline
 * code spans that start with {@code grpcurl -} (so {@code `grpcurl list`} as a mention is not a
 * command). The words are split as a POSIX shell would ({@code '...'} literal, {@code "..."} with
 * {@code $(...)} left as written, backslash escapes); a {@code |}, {@code ;}, {@code &}, {@code >}
 * or {@code #} outside quotes ends the command. A fenced line that mentions grpcurl elsewhere than
 * at its start, and whatever cannot be read, is kept in {@link #problems()}.
 *
 * @param file where it stands, relative to the repository's root ({@code docs/lab.md})
 * @param line its first line, from 1
 * @param heading the nearest Markdown heading above it, without the {@code #}s
 * @param item the number of the top-level numbered list item it stands in ({@code 2.} → 2), 0
 *     outside one
 * @param text the command as written, continuation lines joined with a space
 * @param flags every flag but {@code -d} and {@code -H}, a valued one with its value ({@code
 *     "-cacert tls.crt"})
 * @param headers the {@code -H} (and {@code -rpc-header}) values, e.g. {@code authorization: Bearer
 *     $(cat lab-data/control-token)}
 * @param body the {@code -d} JSON; the here-document's text for {@code -d @}; null without {@code
 *     -d}
 * @param address {@code host:port}; null if the command names none
 * @param method the full method ({@code exactlyonce.v1.OrderService/PlaceOrder}); null for {@code
 *     list} and {@code describe}
 * @param problems what could not be read; empty for a well-formed command
 */
record DocumentedGrpcurl(
        String file,
        int line,
        String heading,
        int item,
        String text,
        List<String> flags,
        List<String> headers,
        String body,
        String address,
        String method,
        List<String> problems) {

    /** The files whose commands are documented: README.md and docs/*.md. */
    static List<String> documentedFiles(Path root) {
        List<String> files = new ArrayList<>(List.of("README.md"));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.map(p -> "docs/" + p.getFileName())
                    .filter(name -> name.endsWith(".md"))
                    .sorted()
                    .forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /**
     * The repository's root: the lab module's tests run in {@code lab/}, the root is its parent.
     */
    static Path repoRoot() {
        Path root = Path.of("").toAbsolutePath().getParent();
        if (!Files.isRegularFile(root.resolve("README.md"))
                || !Files.isDirectory(root.resolve("docs"))) {
            throw new IllegalStateException("no README.md and docs/ in " + root);
        }
        return root;
    }

    /** Every grpcurl command of README.md and docs/*.md, file by file, in document order. */
    static List<DocumentedGrpcurl> inDocs() {
        Path root = repoRoot();
        List<DocumentedGrpcurl> all = new ArrayList<>();
        for (String file : documentedFiles(root)) {
            all.addAll(in(root, file));
        }
        return all;
    }

    /** The grpcurl commands of one file, {@code file} relative to the root. */
    static List<DocumentedGrpcurl> in(Path root, String file) {
        try {
            return parse(file, Files.readAllLines(root.resolve(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The commands of {@code docs/lab.md}'s exercise {@code n} ("Exercises with grpcurl"). */
    static List<DocumentedGrpcurl> labExercise(int n) {
        List<DocumentedGrpcurl> commands =
                in(repoRoot(), "docs/lab.md").stream()
                        .filter(c -> c.heading().equals("Exercises with grpcurl") && c.item() == n)
                        .toList();
        if (commands.isEmpty()) {
            throw new IllegalStateException(
                    "docs/lab.md has no grpcurl command in exercise " + n + " of its exercises");
        }
        return commands;
    }

    /** {@code file:line}. */
    String location() {
        return file + ":" + line;
    }

    /** The method's service ({@code exactlyonce.v1.OrderService}); null without a method. */
    String service() {
        return method == null ? null : method.substring(0, method.indexOf('/'));
    }

    @Override
    public String toString() {
        return location() + ": " + text;
    }

    // ---- the parser

    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)\\s*(\\S*)");

    /** The fences whose lines are shell commands; others (diagrams, YAML, output) are not read. */
    private static final Set<String> SHELL = Set.of("bash", "sh", "shell", "console", "zsh");

    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern ITEM = Pattern.compile("^(\\d+)\\.\\s");
    private static final Pattern INLINE = Pattern.compile("`(grpcurl\\s+-[^`]*)`");
    private static final Pattern GRPCURL_WORD = Pattern.compile("(^|[^\\w/.-])grpcurl\\b");

    /** grpcurl's flags that take a value (Go's flag package: {@code -f v} or {@code -f=v}). */
    private static final Set<String> VALUED =
            Set.of(
                    "-d",
                    "-H",
                    "-rpc-header",
                    "-reflect-header",
                    "-cacert",
                    "-cert",
                    "-key",
                    "-authority",
                    "-servername",
                    "-format",
                    "-max-time",
                    "-connect-timeout",
                    "-keepalive-time",
                    "-max-msg-sz",
                    "-proto",
                    "-protoset",
                    "-protoset-out",
                    "-import-path",
                    "-user-agent",
                    "-use-reflection");

    /** grpcurl's flags without a value. */
    private static final Set<String> BOOLEAN =
            Set.of(
                    "-plaintext",
                    "-insecure",
                    "-emit-defaults",
                    "-allow-unknown-fields",
                    "-format-error",
                    "-msg-template",
                    "-expand-headers",
                    "-unix",
                    "-alts",
                    "-v",
                    "-vv",
                    "-veryverbose",
                    "-help",
                    "-version");

    /** The commands of one Markdown text; {@code file} is only the name they are reported by. */
    static List<DocumentedGrpcurl> parse(String file, List<String> lines) {
        List<DocumentedGrpcurl> commands = new ArrayList<>();
        String heading = "";
        int item = 0;
        boolean fenced = false;
        boolean shell = false;
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            Matcher fence = FENCE.matcher(raw);
            if (fence.find()) {
                fenced = !fenced;
                shell = fenced && SHELL.contains(fence.group(2));
                continue;
            }
            if (!fenced) {
                Matcher h = HEADING.matcher(raw);
                Matcher n = ITEM.matcher(raw);
                if (h.find()) {
                    heading = h.group(1);
                    item = 0;
                } else if (n.find()) {
                    item = Integer.parseInt(n.group(1));
                } else if (!raw.isBlank() && !Character.isWhitespace(raw.charAt(0))) {
                    item = 0;
                }
                Matcher inline = INLINE.matcher(raw);
                while (inline.find()) {
                    commands.add(command(file, i + 1, heading, item, inline.group(1), List.of()));
                }
                if (raw.contains("`grpcurl -") && !INLINE.matcher(raw).find()) {
                    commands.add(
                            broken(
                                    file,
                                    i + 1,
                                    heading,
                                    item,
                                    raw.trim(),
                                    "an inline grpcurl command broken across lines: not read"));
                }
                continue;
            }
            String trimmed = raw.strip();
            if (!shell) {
                if (trimmed.startsWith("grpcurl -")) {
                    commands.add(
                            broken(
                                    file,
                                    i + 1,
                                    heading,
                                    item,
                                    trimmed,
                                    "a grpcurl command in a fence not tagged as shell (```bash):"
                                            + " not read"));
                }
                continue;
            }
            if (!trimmed.startsWith("grpcurl ")) {
                if (GRPCURL_WORD.matcher(trimmed).find()) {
                    commands.add(
                            broken(
                                    file,
                                    i + 1,
                                    heading,
                                    item,
                                    trimmed,
                                    "grpcurl elsewhere than at the start of the line: not read"));
                }
                continue;
            }
            int first = i;
            StringBuilder text = new StringBuilder();
            String part = trimmed;
            while (part.endsWith("\\") && i + 1 < lines.size()) {
                text.append(part.substring(0, part.length() - 1).stripTrailing()).append(' ');
                part = lines.get(++i).strip();
            }
            text.append(part);
            // a here-document's lines follow the command, up to its delimiter
            List<String> following = lines.subList(i + 1, lines.size());
            DocumentedGrpcurl command =
                    command(file, first + 1, heading, item, text.toString(), following);
            commands.add(command);
            i += heredocLines(text.toString(), following);
        }
        return List.copyOf(commands);
    }

    private static DocumentedGrpcurl broken(
            String file, int line, String heading, int item, String text, String problem) {
        return new DocumentedGrpcurl(
                file,
                line,
                heading,
                item,
                text,
                List.of(),
                List.of(),
                null,
                null,
                null,
                List.of(problem));
    }

    /** How many lines after the command its here-document takes (body and delimiter). */
    private static int heredocLines(String text, List<String> following) {
        String delimiter = new Words(text).heredoc;
        if (delimiter == null) {
            return 0;
        }
        for (int k = 0; k < following.size(); k++) {
            if (following.get(k).strip().equals(delimiter)) {
                return k + 1;
            }
        }
        return following.size();
    }

    private static DocumentedGrpcurl command(
            String file, int line, String heading, int item, String text, List<String> following) {
        Words words = new Words(text);
        List<String> problems = new ArrayList<>(words.problems);
        List<String> flags = new ArrayList<>();
        List<String> headers = new ArrayList<>();
        List<String> positional = new ArrayList<>();
        String body = null;
        List<String> w = words.words;
        for (int k = 1; k < w.size(); k++) {
            String word = w.get(k);
            if (!positional.isEmpty() || !word.startsWith("-") || word.equals("-")) {
                positional.add(word);
                continue;
            }
            String name = word.startsWith("--") ? word.substring(1) : word;
            String value = null;
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (BOOLEAN.contains(name)) {
                flags.add(value == null ? name : name + "=" + value);
                continue;
            }
            if (!VALUED.contains(name)) {
                problems.add("unknown grpcurl flag " + word);
                continue;
            }
            if (value == null) {
                if (k + 1 >= w.size()) {
                    problems.add(name + " without a value");
                    continue;
                }
                value = w.get(++k);
            }
            switch (name) {
                case "-d" -> body = value;
                case "-H", "-rpc-header" -> headers.add(value);
                default -> flags.add(name + " " + value);
            }
        }
        if ("@".equals(body)) {
            body = heredoc(words.heredoc, following, problems);
        }
        String address = null;
        String method = null;
        if (positional.isEmpty()) {
            problems.add("no address");
        } else {
            address = positional.get(0);
            List<String> rest = positional.subList(1, positional.size());
            if (rest.isEmpty()) {
                problems.add("no method (nor list/describe)");
            } else if (rest.get(0).equals("list") || rest.get(0).equals("describe")) {
                if (rest.size() > 2) {
                    problems.add("unexpected words after " + rest.get(0) + ": " + rest);
                }
                if (body != null) {
                    problems.add("-d with " + rest.get(0));
                }
            } else {
                method = fullMethod(rest.get(0));
                if (method == null) {
                    problems.add("not a method: " + rest.get(0));
                }
                if (rest.size() > 1) {
                    problems.add(
                            "unexpected words after the method: " + rest.subList(1, rest.size()));
                }
            }
        }
        return new DocumentedGrpcurl(
                file,
                line,
                heading,
                item,
                text,
                List.copyOf(flags),
                List.copyOf(headers),
                body,
                address,
                method,
                List.copyOf(problems));
    }

    /**
     * {@code pkg.Service/Method} as written, or grpcurl's other spelling {@code
     * pkg.Service.Method}.
     */
    private static String fullMethod(String symbol) {
        int slash = symbol.indexOf('/');
        if (slash > 0 && slash == symbol.lastIndexOf('/') && slash < symbol.length() - 1) {
            return symbol;
        }
        int dot = symbol.lastIndexOf('.');
        if (slash < 0 && dot > 0 && dot < symbol.length() - 1) {
            return symbol.substring(0, dot) + "/" + symbol.substring(dot + 1);
        }
        return null;
    }

    private static String heredoc(String delimiter, List<String> following, List<String> problems) {
        if (delimiter == null) {
            problems.add("-d @ reads stdin, and no here-document (<<EOF) follows");
            return null;
        }
        List<String> body = new ArrayList<>();
        for (String line : following) {
            if (line.strip().equals(delimiter)) {
                return String.join("\n", body);
            }
            body.add(line);
        }
        problems.add("the here-document has no closing " + delimiter);
        return String.join("\n", body);
    }

    /** A command line split into words as a POSIX shell would, up to the end of the command. */
    private static final class Words {
        final List<String> words = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        String heredoc;

        Words(String s) {
            int i = 0;
            int n = s.length();
            while (i < n) {
                char c = s.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                    continue;
                }
                if (c == '<' && s.startsWith("<<", i)) {
                    i += 2;
                    if (i < n && s.charAt(i) == '-') {
                        i++;
                    }
                    while (i < n && s.charAt(i) == ' ') {
                        i++;
                    }
                    StringBuilder d = new StringBuilder();
                    i = word(s, i, d);
                    heredoc = d.toString();
                    continue;
                }
                if ("|;&><#".indexOf(c) >= 0) {
                    return;
                }
                StringBuilder word = new StringBuilder();
                i = word(s, i, word);
                words.add(word.toString());
            }
        }

        /** Reads one word from {@code i} into {@code out}; returns where it ends. */
        private int word(String s, int i, StringBuilder out) {
            int n = s.length();
            while (i < n) {
                char c = s.charAt(i);
                if (Character.isWhitespace(c) || "|;&><".indexOf(c) >= 0) {
                    return i;
                }
                if (c == '\'') {
                    int end = s.indexOf('\'', i + 1);
                    if (end < 0) {
                        problems.add("unclosed ' quote");
                        out.append(s, i + 1, n);
                        return n;
                    }
                    out.append(s, i + 1, end);
                    i = end + 1;
                } else if (c == '"') {
                    i++;
                    while (i < n && s.charAt(i) != '"') {
                        char d = s.charAt(i);
                        if (d == '\\' && i + 1 < n && "$`\"\\".indexOf(s.charAt(i + 1)) >= 0) {
                            out.append(s.charAt(i + 1));
                            i += 2;
                        } else {
                            out.append(d);
                            i++;
                        }
                    }
                    if (i >= n) {
                        problems.add("unclosed \" quote");
                        return n;
                    }
                    i++;
                } else if (c == '\\' && i + 1 < n) {
                    out.append(s.charAt(i + 1));
                    i += 2;
                } else if (c == '$' && s.startsWith("$(", i)) {
                    int depth = 0;
                    int start = i;
                    do {
                        char d = s.charAt(i);
                        depth += d == '(' ? 1 : d == ')' ? -1 : 0;
                        i++;
                    } while (i < n && depth > 0);
                    out.append(s, start, i);
                } else {
                    out.append(c);
                    i++;
                }
            }
            return i;
        }
    }
}
