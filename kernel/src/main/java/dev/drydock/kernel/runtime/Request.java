package dev.drydock.kernel.runtime;

import dev.drydock.kernel.protocol.Message;

/** A shell request with the order in which it arrived, so a failure can abort what came before it. */
record Request(Message message, long arrival) {}
