/*
 * Relying.java - a Java relying party for pcad's tests/interop.
 *
 * It checks pcad's certificates, CRLs and OCSP responses the way Java
 * programs do, with the JDK's own validators, and answers the line protocol
 * of tests/interop/PROTOCOL.md (one TAB-separated job per stdin line, one result line
 * per job on stdout):
 *
 *   path  ID LEAF INTERS ROOTS USAGE HOST -> ID OK | ID FAIL detail
 *   crl   ID LEAF INTERS ROOTS CRLS       -> ... | ID REVOKED detail
 *   ocsp  ID LEAF INTERS ROOTS            -> ... | ID REVOKED detail
 *   tls   ID PORT HOST ROOTS
 *
 * How each job is checked:
 *   path  sun.security.validator.Validator (type PKIX), the validator JSSE
 *         itself uses, with the variant of the purpose (tls server, tls
 *         client, code signing, generic), revocation off; the host name with
 *         sun.security.util.HostnameChecker (TYPE_TLS), as JSSE's HTTPS
 *         endpoint identification does. Usage ocsp: the JDK has no such
 *         variant, so the generic one plus an explicit OCSPSigning EKU check.
 *         The public X509ExtendedTrustManager is not used here: its host name
 *         check needs a live handshake session (it throws "No handshake
 *         session" otherwise), so these internal classes are what applies
 *         JSSE's own checks to certificate files.
 *   crl   CertPathValidator "PKIX" with a PKIXRevocationChecker
 *         (ONLY_END_ENTITY, PREFER_CRLS, NO_FALLBACK) and the CRLs in a
 *         "Collection" CertStore; HTTP is refused meanwhile, as the checker
 *         would otherwise fetch the leaf's CRL Distribution Point.
 *   ocsp  the same with OCSP (ONLY_END_ENTITY, NO_FALLBACK): the JDK's OCSP
 *         client asks the responder named in the leaf's AIA.
 *   tls   SSLSocket to 127.0.0.1:PORT, SNI HOST, endpoint identification
 *         "HTTPS", trust = ROOTS only; then "GET / HTTP/1.0".
 *
 * Run (JDK 17; the exports are needed for the path mode's internal classes):
 *   java --add-exports java.base/sun.security.validator=ALL-UNNAMED \
 *        --add-exports java.base/sun.security.util=ALL-UNNAMED \
 *        tests/interop/Relying.java < jobs
 * or compile once with javac and the same two --add-exports flags, then
 *   java --add-exports ...(same two)... -cp DIR Relying < jobs
 * Exit 0 when every job was answered, 2 for a malformed line or usage error.
 */

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CRL;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.PKIXRevocationChecker.Option;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import sun.security.util.HostnameChecker;
import sun.security.validator.Validator;

public class Relying {

    /** Thrown for a malformed job line: the program stops with exit 2. */
    static class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String why) {
            super(why);
        }
    }

    static final String OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

    static final Map<String, String> VARIANTS = Map.of(
            "server", Validator.VAR_TLS_SERVER,
            "client", Validator.VAR_TLS_CLIENT,
            "code", Validator.VAR_CODE_SIGNING,
            "ocsp", Validator.VAR_GENERIC,
            "any", Validator.VAR_GENERIC);

    static final Map<String, Integer> FIELDS = Map.of(
            "path", 7, "crl", 6, "ocsp", 5, "tls", 5);

    static final int TIMEOUT_MS = 10000;

    /** True during a crl job: see installOfflineSwitch. */
    static boolean offline;

    public static void main(String[] args) throws IOException {
        if (args.length != 0) {
            System.err.println("usage: java Relying.java < jobs (no arguments)");
            System.exit(2);
        }
        if (!exported("sun.security.validator") || !exported("sun.security.util")) {
            System.err.println("Relying: run with --add-exports "
                    + "java.base/sun.security.validator=ALL-UNNAMED "
                    + "--add-exports java.base/sun.security.util=ALL-UNNAMED");
            System.exit(2);
        }
        installOfflineSwitch();
        BufferedReader in = new BufferedReader(
                new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            try {
                String[] f = parse(line);
                System.out.println(f[1] + "\t" + answer(f));
                System.out.flush();
            } catch (Malformed e) {
                System.err.println("Relying: malformed line: " + e.getMessage()
                        + ": " + line);
                System.exit(2);
            }
        }
        System.exit(0);
    }

    static boolean exported(String pkg) {
        return Object.class.getModule().isExported(pkg, Relying.class.getModule());
    }

    /** Splits a job line and checks its shape; file contents are not read. */
    static String[] parse(String line) throws Malformed {
        String[] f = line.split("\t", -1);
        Integer want = FIELDS.get(f[0]);
        if (want == null) {
            throw new Malformed("unknown mode '" + f[0] + "'");
        }
        if (f.length != want) {
            throw new Malformed(f[0] + " takes " + want + " fields, got " + f.length);
        }
        for (String field : f) {
            if (field.isEmpty()) {
                throw new Malformed("empty field");
            }
        }
        if (f[0].equals("path") && !VARIANTS.containsKey(f[5])) {
            throw new Malformed("unknown usage '" + f[5] + "'");
        }
        if (f[0].equals("tls") && !f[2].matches("[0-9]{1,5}")) {
            throw new Malformed("bad port '" + f[2] + "'");
        }
        return f;
    }

    /** Runs one job; returns "OK", "REVOKED\tdetail" or "FAIL\tdetail". */
    static String answer(String[] f) {
        try {
            switch (f[0]) {
                case "path":
                    return path(f[2], f[3], f[4], f[5], f[6]);
                case "crl":
                    return revocation(f[2], f[3], f[4], f[5], false);
                case "ocsp":
                    return revocation(f[2], f[3], f[4], "-", true);
                default:
                    return tls(Integer.parseInt(f[2]), f[3], f[4]);
            }
        } catch (Exception e) {
            return "FAIL\t" + detail(e);
        }
    }

    // ---- path -------------------------------------------------------------

    static String path(String leafFile, String inters, String roots,
            String usage, String host) throws Exception {
        X509Certificate leaf = readLeaf(leafFile);
        List<X509Certificate> chain = order(leaf, readCerts(inters));
        PKIXBuilderParameters params =
                new PKIXBuilderParameters(anchors(roots), null);
        params.setRevocationEnabled(false);
        Validator v = Validator.getInstance(
                Validator.TYPE_PKIX, VARIANTS.get(usage), params);
        // "UNKNOWN" is the authType JSSE passes for TLS 1.3 server
        // certificates: key usage, if present, must allow digitalSignature.
        v.validate(chain.toArray(new X509Certificate[0]), null, "UNKNOWN");
        // The JDK has no OCSP-signing variant: the generic validator checked
        // the path, and the OCSPSigning extended key usage is required here.
        if (usage.equals("ocsp")) {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku == null || !eku.contains(OCSP_SIGNING)) {
                throw new CertificateException(
                        "extended key usage lacks OCSPSigning (" + OCSP_SIGNING + ")");
            }
        }
        if (!host.equals("-")) {
            HostnameChecker.getInstance(HostnameChecker.TYPE_TLS).match(host, leaf);
        }
        return "OK";
    }

    // ---- crl and ocsp -----------------------------------------------------

    /**
     * Validates the path (no purpose) with the JDK's revocation checker on the
     * leaf only: from the CRLs given (crl) or from the leaf's AIA OCSP
     * responder (ocsp). No fallback from one method to the other.
     */
    static String revocation(String leafFile, String inters, String roots,
            String crls, boolean ocsp) throws Exception {
        X509Certificate leaf = readLeaf(leafFile);
        List<X509Certificate> chain = order(leaf, readCerts(inters));
        CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
        CertPathValidator cpv = CertPathValidator.getInstance("PKIX");
        PKIXRevocationChecker checker =
                (PKIXRevocationChecker) cpv.getRevocationChecker();
        checker.setOptions(ocsp
                ? EnumSet.of(Option.ONLY_END_ENTITY, Option.NO_FALLBACK)
                : EnumSet.of(Option.ONLY_END_ENTITY, Option.PREFER_CRLS,
                        Option.NO_FALLBACK));
        PKIXParameters params = new PKIXParameters(anchors(roots));
        params.setRevocationEnabled(true);
        params.addCertPathChecker(checker);
        if (!ocsp) {
            params.addCertStore(CertStore.getInstance("Collection",
                    new CollectionCertStoreParameters(readCrls(crls))));
        }
        offline = !ocsp;
        try {
            cpv.validate(path, params);
            return "OK";
        } catch (CertPathValidatorException e) {
            if (e.getReason() == BasicReason.REVOKED) {
                return "REVOKED\t" + oneLine(e.getMessage());
            }
            throw e;
        } finally {
            offline = false;
        }
    }

    /**
     * The JDK's PKIXRevocationChecker always downloads the CRL named in the
     * leaf's CRL Distribution Points when the CertStore holds none that
     * covers the leaf; no option turns that off. The crl mode must use the
     * given CRLs only, so while a crl job runs this proxy selector refuses
     * every HTTP connection (the JDK reports IOException "Failed to select a
     * proxy", and the checker "Unable to determine revocation status due to
     * network error"). Other jobs go through the system's selector.
     */
    static void installOfflineSwitch() {
        ProxySelector system = ProxySelector.getDefault();
        ProxySelector.setDefault(new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                if (offline) {
                    throw new IllegalArgumentException("no network in crl mode: " + uri);
                }
                return system == null ? List.of(Proxy.NO_PROXY) : system.select(uri);
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException e) {
                if (system != null) {
                    system.connectFailed(uri, sa, e);
                }
            }
        });
    }

    // ---- tls --------------------------------------------------------------

    /**
     * The layered socket is given HOST as its peer host, so that JSSE's
     * name check (SNI name first, then the peer host) never falls back to
     * "127.0.0.1".
     */
    static String tls(int port, String host, String roots) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, trustManagers(roots), null);
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
            raw.setSoTimeout(TIMEOUT_MS);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory()
                    .createSocket(raw, host, port, true)) {
                SSLParameters p = s.getSSLParameters();
                p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                if (!host.equals("-")) {
                    p.setServerNames(List.of(new SNIHostName(host)));
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                }
                s.setSSLParameters(p);
                s.startHandshake();
                return get(s);
            }
        }
    }

    static javax.net.ssl.TrustManager[] trustManagers(String roots)
            throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        int i = 0;
        for (X509Certificate c : readCerts(roots)) {
            ks.setCertificateEntry("root" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        return tmf.getTrustManagers();
    }

    static String get(SSLSocket s) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader r = new BufferedReader(new InputStreamReader(
                s.getInputStream(), StandardCharsets.ISO_8859_1));
        String first = r.readLine();
        if (first == null || !first.startsWith("HTTP/")) {
            return "FAIL\tno HTTP answer after the handshake: " + oneLine("" + first);
        }
        return "OK";
    }

    // ---- files and chains -------------------------------------------------

    /** Certificates from a comma-separated list of PEM/DER files ("-": none). */
    static List<X509Certificate> readCerts(String list) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        if (list.equals("-")) {
            return out;
        }
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (String file : list.split(",")) {
            try (InputStream in = new FileInputStream(file)) {
                for (Certificate c : cf.generateCertificates(in)) {
                    out.add((X509Certificate) c);
                }
            }
        }
        return out;
    }

    static X509Certificate readLeaf(String file) throws Exception {
        List<X509Certificate> certs = readCerts(file);
        if (certs.isEmpty()) {
            throw new CertificateException("no certificate in " + file);
        }
        return certs.get(0);
    }

    /** CRLs from a comma-separated list of DER/PEM files ("-": none). */
    static List<CRL> readCrls(String list) throws Exception {
        List<CRL> out = new ArrayList<>();
        if (list.equals("-")) {
            return out;
        }
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (String file : list.split(",")) {
            try (InputStream in = new FileInputStream(file)) {
                out.addAll(cf.generateCRLs(in));
            }
        }
        return out;
    }

    static Set<TrustAnchor> anchors(String roots) throws Exception {
        Set<TrustAnchor> out = new HashSet<>();
        for (X509Certificate c : readCerts(roots)) {
            out.add(new TrustAnchor(c, null));
        }
        return out;
    }

    /**
     * The leaf followed by the intermediates in issuing order, found by
     * name; self-issued certificates (roots) are left to the trust anchors.
     * CertPathValidator needs an ordered path; INTERS may come in any order.
     */
    static List<X509Certificate> order(X509Certificate leaf,
            List<X509Certificate> inters) {
        List<X509Certificate> chain = new ArrayList<>(List.of(leaf));
        List<X509Certificate> pool = new ArrayList<>();
        for (X509Certificate c : inters) {
            if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                pool.add(c);
            }
        }
        X509Certificate cur = leaf;
        while (cur != null) {
            X509Certificate next = null;
            for (X509Certificate c : pool) {
                if (c.getSubjectX500Principal().equals(cur.getIssuerX500Principal())) {
                    next = c;
                    break;
                }
            }
            if (next != null) {
                chain.add(next);
                pool.remove(next);
            }
            cur = next;
        }
        return chain;
    }

    // ---- output -----------------------------------------------------------

    static String detail(Throwable e) {
        String msg = e.getMessage();
        return oneLine(e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg));
    }

    static String oneLine(String s) {
        return s.replaceAll("[\\t\\r\\n]+", " ").trim();
    }
}
