package dev.exactlyonce.lab;

import picocli.CommandLine.Option;

/** {@code --namespace}: where drill and chaos find the chart's pods with {@code --against}. */
public class NamespaceOption {

    @Option(
            names = "--namespace",
            description = "kubectl namespace with --against (default: the context's).")
    String namespace;

    /** The namespace given, or null for the kubectl context's. */
    public String namespace() {
        return namespace;
    }
}
