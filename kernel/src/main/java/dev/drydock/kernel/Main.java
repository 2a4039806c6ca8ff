package dev.drydock.kernel;

public final class Main {
    public static void main(String[] args) {
    }
}
