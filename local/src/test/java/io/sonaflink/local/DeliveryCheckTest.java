package io.sonaflink.local;

import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeliveryCheckTest {

    @Test
    void aFailedSendFailsTheCheckWithItsFirstCause() {
        DeliveryCheck check = new DeliveryCheck();
        check.onCompletion(null, null);
        assertDoesNotThrow(() -> check.check(1));
        check.onCompletion(null, new TimeoutException("Expiring 175 record(s)"));
        check.onCompletion(null, new IllegalStateException("later"));
        IOException e = assertThrows(IOException.class, () -> check.check(3));
        assertEquals(2, check.failed());
        assertTrue(e.getMessage().startsWith("2 of 3 workload records did not reach the broker"), e.getMessage());
        assertTrue(e.getCause() instanceof TimeoutException);
    }
}
