package dev.drydock.kernel.java;

import java.nio.charset.StandardCharsets;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Keeps a cell from ending the kernel's JVM: the classes JShell compiles for cells, and the classes of
 * libraries added to their classpath, are rewritten as they are defined so that calls to
 * {@code System.exit}, {@code Runtime.exit} and {@code Runtime.halt} call the static methods here, which
 * throw {@link SystemExit}.
 *
 * <p>Why rewriting: the JDK 17 way (a {@code SecurityManager} refusing {@code checkExit}) is gone from
 * JDK 24 on, and a child JVM per kernel would cost a second JVM's memory and start-up, and would cut
 * cells off from the kernel's own classes and static state (display, magics). Every class a cell can
 * run passes through the kernel's own class loader ({@link SnippetLoaderDelegate}), so rewriting there
 * covers direct calls, calls inside libraries and method references ({@code System::exit}). Reflection
 * and the kernel's own jars are not covered; neither is code that catches {@code Throwable} around the
 * call. ASM does the rewriting because the JDK's {@code java.lang.classfile} API is not in JDK 17; the
 * call sites keep their stack shape, so no frames are recomputed.
 */
public final class ExitGuard {

    private static final String SYSTEM = "java/lang/System";
    private static final String RUNTIME = "java/lang/Runtime";
    private static final String SELF = Type.getInternalName(ExitGuard.class);
    private static final String STATUS_ONLY = "(I)V";
    private static final String WITH_RUNTIME = "(Ljava/lang/Runtime;I)V";

    private ExitGuard() {}

    /** Replaces {@code System.exit(status)}. */
    public static void exit(int status) {
        throw new SystemExit("System.exit", status);
    }

    /** Replaces {@code runtime.exit(status)}. */
    public static void exit(Runtime runtime, int status) {
        throw new SystemExit("Runtime.exit", status);
    }

    /** Replaces {@code runtime.halt(status)}. */
    public static void halt(Runtime runtime, int status) {
        throw new SystemExit("Runtime.halt", status);
    }

    /** The class with its exit calls redirected here; the same array when it has none. */
    static byte[] rewrite(byte[] classFile) {
        if (!mentions(classFile, "exit") && !mentions(classFile, "halt")) {
            return classFile;
        }
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, 0);
        boolean[] changed = new boolean[1];
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9, super.visitMethod(access, name, descriptor, signature, exceptions)) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        if (isExit(owner, method, desc)) {
                            changed[0] = true;
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, SELF, method,
                                    owner.equals(SYSTEM) ? STATUS_ONLY : WITH_RUNTIME, false);
                        } else {
                            super.visitMethodInsn(opcode, owner, method, desc, itf);
                        }
                    }

                    @Override
                    public void visitInvokeDynamicInsn(String name, String desc, Handle bootstrap, Object... args) {
                        for (int i = 0; i < args.length; i++) {
                            if (args[i] instanceof Handle handle && isExit(handle.getOwner(), handle.getName(), handle.getDesc())) {
                                changed[0] = true;
                                args[i] = new Handle(Opcodes.H_INVOKESTATIC, SELF, handle.getName(),
                                        handle.getOwner().equals(SYSTEM) ? STATUS_ONLY : WITH_RUNTIME, false);
                            }
                        }
                        super.visitInvokeDynamicInsn(name, desc, bootstrap, args);
                    }
                };
            }
        }, 0);
        return changed[0] ? writer.toByteArray() : classFile;
    }

    private static boolean isExit(String owner, String method, String desc) {
        return STATUS_ONLY.equals(desc)
                && (SYSTEM.equals(owner) && method.equals("exit")
                        || RUNTIME.equals(owner) && (method.equals("exit") || method.equals("halt")));
    }

    /** Whether the name occurs anywhere in the bytes: a cheap test that skips almost every class. */
    private static boolean mentions(byte[] bytes, String name) {
        byte[] needle = name.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i <= bytes.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
