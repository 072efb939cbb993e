// Command cdioracle runs CDI's own DataVolume controllers (kubevirt.io/containerized-data-importer
// v1.65.0) against an in-memory API server stand-in (controller-runtime's fake client) filled
// from the request, and reports the PersistentVolumeClaims they create for one DataVolume.
//
// Nothing here computes a size: the claims are what CDI's reconcilers write. The steps:
//
//	the DataVolume mutating webhook's clone token  cdiv1.DataVolume.AuthorizeUser + token.NewGenerator
//	                                               (every SubjectAccessReview allowed)
//	the DataVolume controller CDI's dispatcher picks for the DataVolume
//	                                               dvc.NewImportController / NewPvcCloneController /
//	                                               NewSnapshotCloneController, built on a manager whose
//	                                               client is the fake one; their Reconcile runs
//	                                               renderPvcSpec (StorageProfile volume and access modes,
//	                                               default and default-virt class), renderPvcSpecVolumeSize
//	                                               (cc.InflateSizeWithOverhead, cc.GetEffectiveVolumeSize),
//	                                               the clone controllers' validateClone /
//	                                               validateSnapshotClone and detectCloneSize, and
//	                                               createPvcForDatavolume
//	the populators, when the target claim is populated by CDI
//	                                               populators.NewImportPopulator / NewClonePopulator:
//	                                               PVC' (createPVCPrime) and the clone planner's tmp-pvc
//	the import's scratch claim                     the sizing of pkg/controller's
//	                                               createScratchPersistentVolumeClaim (that package does not
//	                                               build against KubeVirt's openshift/api pin), made of CDI's
//	                                               util.GetUsableSpace, util.GetRequiredSpace, util.RoundUp and
//	                                               cc.GetFilesystemOverheadForStorageClass
//
// Indexes: the manager's field indexer records every index CDI registers
// (dvc.CreateCommonIndexes, dvc.CreateAvailablePersistentVolumeIndex,
// populators.CreateCommonPopulatorIndexes and the controllers' own), and each request's fake client
// gets the same indexes.
//
// Modes:
//
//	cdioracle serve    JSON lines on stdin, one JSON line out per line in
//	cdioracle render   one JSON request on stdin, one indented JSON answer on stdout
//	cdioracle version  the CDI module version it was built from
//
// Request:  {"id", "dataVolume" (a DataVolume; namespace "default" when unset), "objects" (any
//
//	Kubernetes objects with apiVersion and kind: StorageClass, StorageProfile (status.claimPropertySets,
//	the minimumSupportedPvcSize annotation), CDIConfig named "config" (its status, as CDI's config
//	controller writes it), CSIDriver, DataSource, PersistentVolumeClaim, VolumeSnapshot,
//	VolumeSnapshotContent, VolumeSnapshotClass, PersistentVolume, ...),
//	"imageVirtualSize" (bytes: what CDI's size-detection pod would report for a Filesystem source
//	claim of KubeVirt content; without it such a size-less clone stays pending, as in a cluster
//	until the pod ends), "selectedNode" (node the scheduler picks for a WaitForFirstConsumer claim;
//	default "node-1")}
//
// Answer:   {"id", "operation" (import | pvcClone | snapshotClone), "claims" ([{"role" (target |
//
//	pvcPrime | cloneTemp | scratch | other), "name", "namespace", "storageClassName", "volumeMode",
//	"accessModes", "storage" (the request as CDI wrote it), "storageBytes", "when" (scratch:
//	always | ifImporterAsks)}]), "usesPopulator", "cloneStrategy", "refusal" ({"reason",
//	"message"}: why CDI creates no claim; then "claims" is empty), "populatorError" (the claim
//	exists but the populator refuses to fill it), "warnings"}, or {"id", "error"}
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	snapshotv1 "github.com/kubernetes-csi/external-snapshotter/client/v6/apis/volumesnapshot/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	sigsjson "sigs.k8s.io/json"

	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"kubevirt.io/containerized-data-importer/pkg/common"
	cc "kubevirt.io/containerized-data-importer/pkg/controller/common"
	dvc "kubevirt.io/containerized-data-importer/pkg/controller/datavolume"
	"kubevirt.io/containerized-data-importer/pkg/controller/populators"
	"kubevirt.io/containerized-data-importer/pkg/token"
	"kubevirt.io/containerized-data-importer/pkg/util"
)

type request struct {
	ID         string            `json:"id"`
	DataVolume json.RawMessage   `json:"dataVolume"`
	Objects    []json.RawMessage `json:"objects,omitempty"`
	// ImageVirtualSize is what CDI's size-detection pod (qemu-img) reports for a
	// Filesystem source claim of KubeVirt content, in bytes.
	ImageVirtualSize string `json:"imageVirtualSize,omitempty"`
	// SelectedNode is the node the scheduler annotates on a WaitForFirstConsumer claim.
	SelectedNode string `json:"selectedNode,omitempty"`
}

type claim struct {
	Role             string   `json:"role"`
	Name             string   `json:"name"`
	Namespace        string   `json:"namespace"`
	StorageClassName *string  `json:"storageClassName,omitempty"`
	VolumeMode       *string  `json:"volumeMode,omitempty"`
	AccessModes      []string `json:"accessModes,omitempty"`
	Storage          string   `json:"storage,omitempty"`
	StorageBytes     *int64   `json:"storageBytes,omitempty"`
	When             string   `json:"when,omitempty"`
}

type refusal struct {
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message"`
}

type response struct {
	ID            string   `json:"id"`
	Operation     string   `json:"operation,omitempty"`
	Claims        []claim  `json:"claims"`
	UsesPopulator bool     `json:"usesPopulator,omitempty"`
	CloneStrategy string   `json:"cloneStrategy,omitempty"`
	Refusal       *refusal `json:"refusal,omitempty"`
	// PopulatorError is the populator's error: the claim exists but CDI does not fill it.
	PopulatorError string   `json:"populatorError,omitempty"`
	Warnings       []string `json:"warnings,omitempty"`
	Error          string   `json:"error,omitempty"`
}

func main() {
	mode := "serve"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	// Keep stdout for answers only.
	out := os.Stdout
	os.Stdout = os.Stderr
	verbosity := 0
	if v, err := strconv.Atoi(os.Getenv("ORACLE_VERBOSITY")); err == nil {
		verbosity = v
	}
	if err := klogToStderr(verbosity); err != nil {
		fmt.Fprintln(os.Stderr, "cdioracle:", err)
	}
	if verbosity == 0 {
		ctrllog.SetLogger(logr.Discard())
	} else {
		ctrllog.SetLogger(klog.NewKlogr())
	}

	switch mode {
	case "serve", "render":
		o, err := newOracle()
		if err != nil {
			fmt.Fprintln(os.Stderr, "cdioracle:", err)
			os.Exit(1)
		}
		if mode == "serve" {
			if err := o.serve(os.Stdin, out); err != nil {
				fmt.Fprintln(os.Stderr, "cdioracle:", err)
				os.Exit(1)
			}
			return
		}
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cdioracle:", err)
			os.Exit(1)
		}
		resp := o.handle(data)
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(resp)
		if resp.Error != "" {
			os.Exit(1)
		}
	case "version":
		bi, _ := debug.ReadBuildInfo()
		for _, d := range bi.Deps {
			if d.Path == "kubevirt.io/containerized-data-importer" {
				fmt.Fprintln(out, d.Version)
			}
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: cdioracle serve|render|version")
		os.Exit(2)
	}
}

// klogToStderr sends klog (CDI's own logging) to stderr at the given verbosity.
func klogToStderr(verbosity int) error {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	if err := fs.Set("v", strconv.Itoa(verbosity)); err != nil {
		return err
	}
	return fs.Set("logtostderr", "true")
}

// swapClient is the manager's client: every controller holds it, and each request
// points it at a fresh fake client. Like the API server, it gives new objects a UID
// (CDI names PVC' and clone claims after their target's UID).
type swapClient struct {
	client.Client
	created int
}

func (s *swapClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if obj.GetUID() == "" {
		s.created++
		obj.SetUID(types.UID(fmt.Sprintf("uid-%d", s.created)))
	}
	return s.Client.Create(ctx, obj, opts...)
}

// quietBroadcaster keeps CDI's events in the process: there is no API server to send them to.
type quietBroadcaster struct {
	record.EventBroadcaster
}

func (quietBroadcaster) StartRecordingToSink(record.EventSink) watch.Interface {
	return watch.NewEmptyWatch()
}

// recordingCache is the manager's cache: no informers run; it records the indexes CDI
// registers so that each fake client can be given the same ones.
type recordingCache struct {
	informertest.FakeInformers
	indexes []index
}

type index struct {
	obj     client.Object
	field   string
	extract client.IndexerFunc
}

func (c *recordingCache) IndexField(_ context.Context, obj client.Object, field string, extract client.IndexerFunc) error {
	c.indexes = append(c.indexes, index{obj: obj, field: field, extract: extract})
	return nil
}

type oracle struct {
	scheme      *runtime.Scheme
	codecs      serializer.CodecFactory
	mapper      meta.RESTMapper
	client      *swapClient
	cache       *recordingCache
	key         *rsa.PrivateKey
	controllers map[string]controller.Controller
}

const (
	opImport        = "import"
	opPvcClone      = "pvcClone"
	opSnapshotClone = "snapshotClone"
	opImportPop     = "importPopulator"
	opClonePop      = "clonePopulator"
)

// Kinds that are not namespaced, for the RESTMapper.
var clusterScoped = map[string]bool{
	"StorageClass": true, "StorageProfile": true, "CDIConfig": true, "CDI": true, "CSIDriver": true,
	"PersistentVolume": true, "VolumeSnapshotContent": true, "VolumeSnapshotClass": true,
	"Namespace": true, "Node": true, "CustomResourceDefinition": true,
}

func newOracle() (*oracle, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, cdiv1.AddToScheme, snapshotv1.AddToScheme, extv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	mapper := meta.NewDefaultRESTMapper(nil)
	for gvk := range s.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") || gvk.Version == runtime.APIVersionInternal {
			continue
		}
		scope := meta.RESTScopeNamespace
		if clusterScoped[gvk.Kind] {
			scope = meta.RESTScopeRoot
		}
		mapper.Add(gvk, scope)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	o := &oracle{
		scheme:      s,
		codecs:      serializer.NewCodecFactory(s),
		mapper:      mapper,
		client:      &swapClient{Client: fake.NewClientBuilder().WithScheme(s).WithRESTMapper(mapper).Build()},
		cache:       &recordingCache{FakeInformers: informertest.FakeInformers{Scheme: s}},
		key:         key,
		controllers: map[string]controller.Controller{},
	}
	mgr, err := manager.New(&rest.Config{Host: "http://127.0.0.1:1"}, manager.Options{
		Scheme:                 s,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		MapperProvider:         func(*rest.Config, *http.Client) (meta.RESTMapper, error) { return mapper, nil },
		NewCache:               func(*rest.Config, cache.Options) (cache.Cache, error) { return o.cache, nil },
		NewClient:              func(*rest.Config, client.Options) (client.Client, error) { return o.client, nil },
		// Events go nowhere: a refusal is read from the DataVolume's conditions.
		EventBroadcaster: quietBroadcaster{record.NewBroadcaster()},
		Controller:       ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
		Logger:           ctrllog.Log,
	})
	if err != nil {
		return nil, fmt.Errorf("controller manager: %w", err)
	}

	// What cdi-controller's main (cmd/cdi-controller/controller.go) registers, in its order.
	ctx := context.Background()
	log := ctrllog.Log.WithName("cdioracle")
	labels := map[string]string{common.AppKubernetesPartOfLabel: "cdioracle"}
	if err := dvc.CreateCommonIndexes(mgr); err != nil {
		return nil, err
	}
	if err := dvc.CreateAvailablePersistentVolumeIndex(mgr.GetFieldIndexer()); err != nil {
		return nil, err
	}
	if o.controllers[opImport], err = dvc.NewImportController(ctx, mgr, log, labels); err != nil {
		return nil, err
	}
	if o.controllers[opPvcClone], err = dvc.NewPvcCloneController(ctx, mgr, log, "cdi-cloner", "cdi-importer", "IfNotPresent",
		&key.PublicKey, key, labels); err != nil {
		return nil, err
	}
	if o.controllers[opSnapshotClone], err = dvc.NewSnapshotCloneController(ctx, mgr, log, "cdi-cloner", "cdi-importer", "IfNotPresent",
		&key.PublicKey, key, labels); err != nil {
		return nil, err
	}
	if err := populators.CreateCommonPopulatorIndexes(mgr); err != nil {
		return nil, err
	}
	if o.controllers[opImportPop], err = populators.NewImportPopulator(ctx, mgr, log, labels); err != nil {
		return nil, err
	}
	if o.controllers[opClonePop], err = populators.NewClonePopulator(ctx, mgr, log, "cdi-cloner", "IfNotPresent", labels, &key.PublicKey); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *oracle) serve(in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if err := enc.Encode(o.handle(line)); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

func (o *oracle) handle(line []byte) (resp response) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		var idOnly struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(line, &idOnly)
		return response{ID: idOnly.ID, Error: "bad request: " + err.Error()}
	}
	defer func() {
		if r := recover(); r != nil {
			resp = response{ID: req.ID, Error: fmt.Sprintf("panic while reconciling: %v\n%s", r, debug.Stack())}
		}
	}()
	r, err := o.render(&req)
	r.ID = req.ID
	if err != nil {
		r.Error = err.Error()
		r.Claims = nil
	}
	if r.Claims == nil {
		r.Claims = []claim{}
	}
	return r
}

func (o *oracle) render(req *request) (response, error) {
	resp := response{}
	ctx := context.Background()

	dv := &cdiv1.DataVolume{}
	if len(req.DataVolume) == 0 {
		return resp, errors.New("dataVolume is missing")
	}
	strictErrs, err := sigsjson.UnmarshalStrict(req.DataVolume, dv, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return resp, fmt.Errorf("dataVolume: %w", err)
	}
	for _, e := range strictErrs {
		resp.Warnings = append(resp.Warnings, "dataVolume: "+e.Error())
	}
	if dv.Name == "" {
		return resp, errors.New("dataVolume.metadata.name is missing")
	}
	if dv.Namespace == "" {
		dv.Namespace = metav1.NamespaceDefault
	}
	if dv.UID == "" {
		dv.UID = types.UID("dv-" + dv.Namespace + "-" + dv.Name)
	}
	if dv.Annotations == nil {
		dv.Annotations = map[string]string{}
	}
	dv.CreationTimestamp = metav1.Now()

	objs, inputs, err := o.decodeObjects(req.Objects)
	if err != nil {
		return resp, err
	}
	lookup := newObjectIndex(objs)

	// The DataVolume mutating webhook: a clone's token.
	if err := o.addCloneToken(dv, lookup); err != nil {
		return resp, err
	}

	c := o.newFakeClient(append(objs, dv))
	o.client.Client = c
	o.client.created = 0

	op, err := dataVolumeOp(ctx, c, dv)
	if err != nil {
		return resp, err
	}
	resp.Operation = op
	ctrl := o.controllers[op]
	dvKey := types.NamespacedName{Namespace: dv.Namespace, Name: dv.Name}
	target := &corev1.PersistentVolumeClaim{}
	var lastErr error
	created := false
	sizeDetectionDone := false
	for pass := 0; pass < 12; pass++ {
		_, lastErr = ctrl.Reconcile(ctx, reconcile.Request{NamespacedName: dvKey})
		if err := c.Get(ctx, dvKey, target); err == nil {
			if created {
				break // one more pass after creation: the populator source CRs
			}
			created = true
			continue
		}
		// A size-less clone of a Filesystem claim waits for CDI's size-detection pod.
		if !sizeDetectionDone && req.ImageVirtualSize != "" {
			done, err := finishSizeDetectionPods(ctx, c, req.ImageVirtualSize)
			if err != nil {
				return resp, err
			}
			sizeDetectionDone = done
		}
	}
	if !created {
		resp.Refusal = o.refusalOf(ctx, c, dvKey, lastErr)
		return resp, nil
	}

	populator := ""
	if ref := target.Spec.DataSourceRef; ref != nil && ref.APIGroup != nil && *ref.APIGroup == cc.AnnAPIGroup {
		switch ref.Kind {
		case cdiv1.VolumeImportSourceRef:
			populator = opImportPop
		case cdiv1.VolumeCloneSourceRef:
			populator = opClonePop
		}
	}
	resp.UsesPopulator = populator != ""
	if populator != "" {
		node := req.SelectedNode
		if node == "" {
			node = "node-1"
		}
		if err := o.runPopulator(ctx, c, populator, client.ObjectKeyFromObject(target), node); err != nil {
			resp.PopulatorError = err.Error()
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(target), target); err != nil {
			return resp, err
		}
		resp.CloneStrategy = target.Annotations[cc.AnnCloneType]
	} else if strings.Contains(op, "Clone") {
		resp.CloneStrategy = target.Annotations[cc.AnnCloneType]
	}

	pvcs := &corev1.PersistentVolumeClaimList{}
	if err := c.List(ctx, pvcs); err != nil {
		return resp, err
	}
	sort.Slice(pvcs.Items, func(i, j int) bool {
		return roleOrder(roleOf(&pvcs.Items[i], dv)) < roleOrder(roleOf(&pvcs.Items[j], dv))
	})
	var importee *corev1.PersistentVolumeClaim
	for i := range pvcs.Items {
		pvc := &pvcs.Items[i]
		if inputs[client.ObjectKeyFromObject(pvc)] {
			continue
		}
		role := roleOf(pvc, dv)
		resp.Claims = append(resp.Claims, claimOf(pvc, role))
		if role == "pvcPrime" || (role == "target" && importee == nil) {
			importee = pvc
		}
	}

	if op == opImport {
		if when := scratchWhen(dv); when != "" && importee != nil {
			scratch, err := scratchClaim(ctx, c, importee)
			if err != nil {
				return resp, err
			}
			out := claimOf(scratch, "scratch")
			out.When = when
			resp.Claims = append(resp.Claims, out)
		}
	}
	return resp, nil
}

func (o *oracle) decodeObjects(raws []json.RawMessage) ([]client.Object, map[types.NamespacedName]bool, error) {
	var objs []client.Object
	inputs := map[types.NamespacedName]bool{}
	hasCDI := false
	for i, raw := range raws {
		obj, gvk, err := o.codecs.UniversalDeserializer().Decode(raw, nil, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("objects[%d]: %w", i, err)
		}
		co, ok := obj.(client.Object)
		if !ok {
			return nil, nil, fmt.Errorf("objects[%d]: %s is not an object", i, gvk)
		}
		if !clusterScoped[gvk.Kind] && co.GetNamespace() == "" {
			co.SetNamespace(metav1.NamespaceDefault)
		}
		if co.GetUID() == "" {
			co.SetUID(types.UID(fmt.Sprintf("%s-%s-%s", strings.ToLower(gvk.Kind), co.GetNamespace(), co.GetName())))
		}
		if gvk.Kind == "PersistentVolumeClaim" {
			inputs[client.ObjectKeyFromObject(co)] = true
		}
		if gvk.Kind == "CDI" {
			hasCDI = true
		}
		objs = append(objs, co)
	}
	if !hasCDI {
		// The CDI custom resource exists wherever CDI runs.
		objs = append(objs, &cdiv1.CDI{ObjectMeta: metav1.ObjectMeta{Name: "cdi"}})
	}
	// The CSI snapshot CRDs, which CDI looks up before it snapshots.
	for _, name := range []string{"volumesnapshots", "volumesnapshotcontents", "volumesnapshotclasses"} {
		objs = append(objs, &extv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: name + "." + snapshotv1.GroupName},
			Spec: extv1.CustomResourceDefinitionSpec{
				Group: snapshotv1.GroupName,
				Versions: []extv1.CustomResourceDefinitionVersion{
					{Name: "v1", Served: true, Storage: true},
				},
			},
		})
	}
	return objs, inputs, nil
}

// newFakeClient holds objs, with the indexes CDI registered on the manager.
func (o *oracle) newFakeClient(objs []client.Object) client.WithWatch {
	b := fake.NewClientBuilder().
		WithScheme(o.scheme).
		WithRESTMapper(o.mapper).
		WithObjects(objs...).
		WithStatusSubresource(&cdiv1.DataVolume{}, &corev1.PersistentVolumeClaim{}, &corev1.Pod{},
			&snapshotv1.VolumeSnapshot{}, &cdiv1.DataSource{}, &cdiv1.StorageProfile{}, &cdiv1.CDIConfig{})
	seen := map[string]bool{}
	for _, ix := range o.cache.indexes {
		key := reflect.TypeOf(ix.obj).String() + "/" + ix.field
		if seen[key] {
			continue
		}
		seen[key] = true
		b = b.WithIndex(ix.obj, ix.field, ix.extract)
	}
	return b.Build()
}

// dataVolumeOp picks the DataVolume controller the way CDI's dispatcher does
// (datavolume.getDataVolumeOp and getSourceRefOp, unexported): a sourceRef resolves
// through cc.ResolveDataSourceChain to its PVC or snapshot.
func dataVolumeOp(ctx context.Context, c client.Client, dv *cdiv1.DataVolume) (string, error) {
	src := dv.Spec.Source
	if ref := dv.Spec.SourceRef; ref != nil {
		ns := dv.Namespace
		if ref.Namespace != nil && *ref.Namespace != "" {
			ns = *ref.Namespace
		}
		ds := &cdiv1.DataSource{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, ds); err != nil {
			return "", fmt.Errorf("sourceRef: DataSource %s/%s: %w (give it in objects)", ns, ref.Name, err)
		}
		resolved, err := cc.ResolveDataSourceChain(ctx, c, ds)
		if err != nil {
			return "", fmt.Errorf("sourceRef: %w", err)
		}
		switch {
		case resolved.Spec.Source.PVC != nil:
			return opPvcClone, nil
		case resolved.Spec.Source.Snapshot != nil:
			return opSnapshotClone, nil
		}
		return "", fmt.Errorf("sourceRef: DataSource %s/%s has no pvc or snapshot source", ns, ref.Name)
	}
	switch {
	case src != nil && src.PVC != nil:
		return opPvcClone, nil
	case src != nil && src.Snapshot != nil:
		return opSnapshotClone, nil
	case src != nil && (src.HTTP != nil || src.S3 != nil || src.GCS != nil || src.Registry != nil || src.Blank != nil ||
		src.Imageio != nil || src.VDDK != nil):
		return opImport, nil
	}
	return "", errors.New("dataVolume: the oracle handles sourceRef, pvc, snapshot, http, s3, gcs, registry, blank, imageio and vddk sources")
}

// allowAll answers the webhook's SubjectAccessReviews with "allowed" and reads the
// DataSource from the request's objects.
type allowAll struct{ objects objectIndex }

func (a allowAll) CreateSar(sar *authv1.SubjectAccessReview) (*authv1.SubjectAccessReview, error) {
	sar.Status.Allowed = true
	return sar, nil
}

func (a allowAll) GetNamespace(name string) (*corev1.Namespace, error) {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, nil
}

func (a allowAll) GetDataSource(namespace, name string) (*cdiv1.DataSource, error) {
	if ds, ok := a.objects.get("DataSource", namespace, name).(*cdiv1.DataSource); ok {
		return ds, nil
	}
	return nil, fmt.Errorf("DataSource %s/%s is not among the objects", namespace, name)
}

// addCloneToken does what the DataVolume mutating webhook does at create time
// (pkg/apiserver/webhooks/datavolume-mutate.go): authorise the clone with
// DataVolume.AuthorizeUser and sign the clone token the controllers check.
func (o *oracle) addCloneToken(dv *cdiv1.DataVolume, objects objectIndex) error {
	res, err := dv.AuthorizeUser(dv.Namespace, dv.Name, allowAll{objects: objects},
		authnv1.UserInfo{Username: "system:serviceaccount:vmportal:planner"})
	if err != nil {
		if errors.Is(err, cdiv1.ErrNoTokenOkay) {
			return nil // not a clone
		}
		return fmt.Errorf("clone authorisation: %w", err)
	}
	if res.Handler.SourceName == "" {
		return nil
	}
	sourceNamespace := res.Handler.SourceNamespace
	if sourceNamespace == "" {
		sourceNamespace = dv.Namespace
	}
	signed, err := token.NewGenerator(common.CloneTokenIssuer, o.key, 5*time.Minute).Generate(&token.Payload{
		Operation: token.OperationClone,
		Name:      res.Handler.SourceName,
		Namespace: sourceNamespace,
		Resource:  res.Handler.TokenResource,
		Params: map[string]string{
			"targetNamespace": dv.Namespace,
			"targetName":      dv.Name,
		},
	})
	if err != nil {
		return err
	}
	dv.Annotations[cc.AnnCloneToken] = signed
	return nil
}

// finishSizeDetectionPods ends CDI's size-detection pods the way the pod itself does:
// phase Succeeded and the virtual size as its termination message.
func finishSizeDetectionPods(ctx context.Context, c client.Client, virtualSize string) (bool, error) {
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods); err != nil {
		return false, err
	}
	done := false
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !strings.HasPrefix(pod.Name, "size-detection-") || pod.Status.Phase == corev1.PodSucceeded {
			continue
		}
		pod.Status.Phase = corev1.PodSucceeded
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "size-detection-volume",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Message: virtualSize, Reason: "Completed",
			}},
		}}
		if err := c.Status().Update(ctx, pod); err != nil {
			return false, err
		}
		done = true
	}
	return done, nil
}

// runPopulator lets CDI's populator reconcile the target claim until it has created
// its claims; a WaitForFirstConsumer claim first gets the scheduler's selected node.
func (o *oracle) runPopulator(ctx context.Context, c client.Client, which string, key types.NamespacedName, node string) error {
	ctrl := o.controllers[which]
	var lastErr error
	annotated := false
	for pass := 0; pass < 8; pass++ {
		before := claimCount(ctx, c)
		_, lastErr = ctrl.Reconcile(ctx, reconcile.Request{NamespacedName: key})
		if claimCount(ctx, c) > before {
			return nil
		}
		if !annotated {
			pvc := &corev1.PersistentVolumeClaim{}
			if err := c.Get(ctx, key, pvc); err != nil {
				return err
			}
			if pvc.Annotations[cc.AnnSelectedNode] == "" {
				pvc.Annotations[cc.AnnSelectedNode] = node
				if err := c.Update(ctx, pvc); err != nil {
					return err
				}
			}
			annotated = true
		}
		if err := readySnapshots(ctx, c); err != nil {
			return err
		}
	}
	return lastErr
}

func claimCount(ctx context.Context, c client.Client) int {
	pvcs := &corev1.PersistentVolumeClaimList{}
	if err := c.List(ctx, pvcs); err != nil {
		return -1
	}
	return len(pvcs.Items)
}

// readySnapshots plays the CSI snapshotter for snapshots CDI takes: ready, with the
// source claim's capacity as restore size.
func readySnapshots(ctx context.Context, c client.Client) error {
	snaps := &snapshotv1.VolumeSnapshotList{}
	if err := c.List(ctx, snaps); err != nil {
		return nil
	}
	for i := range snaps.Items {
		snap := &snaps.Items[i]
		if snap.Status != nil && snap.Status.ReadyToUse != nil && *snap.Status.ReadyToUse {
			continue
		}
		if snap.Spec.Source.PersistentVolumeClaimName == nil {
			continue
		}
		source := &corev1.PersistentVolumeClaim{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: snap.Namespace, Name: *snap.Spec.Source.PersistentVolumeClaimName}, source); err != nil {
			continue
		}
		size := source.Status.Capacity[corev1.ResourceStorage]
		contentName := "snapcontent-" + string(snap.UID)
		snap.Status = &snapshotv1.VolumeSnapshotStatus{
			ReadyToUse:                     ptr.To(true),
			RestoreSize:                    &size,
			BoundVolumeSnapshotContentName: &contentName,
			CreationTime:                   &metav1.Time{Time: time.Now()},
		}
		if err := c.Status().Update(ctx, snap); err != nil {
			return err
		}
	}
	return nil
}

// refusalOf says why no claim was created: a size-detection pod still running, else
// the DataVolume's Bound condition (where the controllers put the reason they record as
// an event), else the last error.
func (o *oracle) refusalOf(ctx context.Context, c client.Client, key types.NamespacedName, lastErr error) *refusal {
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods); err == nil {
		for _, pod := range pods.Items {
			if strings.HasPrefix(pod.Name, "size-detection-") {
				return &refusal{Reason: "SizeDetectionPending",
					Message: "CDI measures the source image with a size-detection pod before it creates the claim (give imageVirtualSize)"}
			}
		}
	}
	dv := &cdiv1.DataVolume{}
	if err := c.Get(ctx, key, dv); err == nil {
		for _, cond := range dv.Status.Conditions {
			if cond.Type == cdiv1.DataVolumeBound && cond.Message != "" {
				return &refusal{Reason: cond.Reason, Message: cond.Message}
			}
		}
	}
	if lastErr != nil {
		return &refusal{Message: lastErr.Error()}
	}
	return &refusal{Message: "CDI created no claim and said nothing"}
}

// scratchWhen says whether the import needs a scratch claim, following the import
// controller's requiresScratchSpace (pkg/controller/import-controller.go): archives and
// registry imports not pulled by the node always; other sources when the importer
// finds the image needs converting (it then asks for scratch).
func scratchWhen(dv *cdiv1.DataVolume) string {
	src := dv.Spec.Source
	if src == nil || src.Blank != nil {
		return ""
	}
	if cc.GetContentType(dv.Spec.ContentType) == cdiv1.DataVolumeArchive {
		return "always"
	}
	switch {
	case src.Registry != nil:
		if src.Registry.PullMethod != nil && *src.Registry.PullMethod == cdiv1.RegistryPullNode {
			return ""
		}
		return "always"
	case src.HTTP != nil, src.S3 != nil, src.GCS != nil:
		return "ifImporterAsks"
	}
	return ""
}

// scratchClaim is the scratch claim of pkg/controller's createScratchPersistentVolumeClaim for
// the claim the importer fills: newScratchPersistentVolumeClaimSpec's spec (ReadWriteOnce, the
// claim's resources, the class of GetScratchPvcStorageClass) with the size
// RoundUp(GetRequiredSpace(scratch overhead, GetUsableSpace(claim overhead, claim size))).
func scratchClaim(ctx context.Context, c client.Client, pvc *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, error) {
	scratch := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: pvc.Name + "-scratch", Namespace: pvc.Namespace},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   *pvc.Spec.Resources.DeepCopy(),
		},
	}
	if name := scratchStorageClass(ctx, c, pvc); name != "" {
		scratch.Spec.StorageClassName = &name
	}
	overheadOf := func(claim *corev1.PersistentVolumeClaim) (float64, error) {
		// pkg/controller.GetFilesystemOverhead
		if cc.GetVolumeMode(claim) != corev1.PersistentVolumeFilesystem {
			return 0, nil
		}
		p, err := cc.GetFilesystemOverheadForStorageClass(ctx, c, claim.Spec.StorageClassName)
		if err != nil {
			return 0, err
		}
		f, _ := strconv.ParseFloat(string(p), 64)
		return f, nil
	}
	scratchOverhead, err := overheadOf(scratch)
	if err != nil {
		return nil, err
	}
	claimOverhead, err := overheadOf(pvc)
	if err != nil {
		return nil, err
	}
	size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	usable := util.GetUsableSpace(claimOverhead, size.Value())
	raw := util.RoundUp(util.GetRequiredSpace(scratchOverhead, usable), util.DefaultAlignBlockSize)
	scratch.Spec.Resources.Requests[corev1.ResourceStorage] = *resource.NewScaledQuantity(raw, 0)
	return scratch, nil
}

// scratchStorageClass is pkg/controller.GetScratchPvcStorageClass: the CDIConfig's
// status.scratchSpaceStorageClass, else the claim's class.
func scratchStorageClass(ctx context.Context, c client.Client, pvc *corev1.PersistentVolumeClaim) string {
	config := &cdiv1.CDIConfig{}
	if err := c.Get(ctx, types.NamespacedName{Name: common.ConfigName}, config); err != nil {
		return ""
	}
	if config.Status.ScratchSpaceStorageClass != "" {
		return config.Status.ScratchSpaceStorageClass
	}
	if pvc.Spec.StorageClassName != nil {
		return *pvc.Spec.StorageClassName
	}
	return ""
}

func roleOf(pvc *corev1.PersistentVolumeClaim, dv *cdiv1.DataVolume) string {
	switch {
	case pvc.Namespace == dv.Namespace && pvc.Name == dv.Name:
		return "target"
	case strings.HasPrefix(pvc.Name, "prime-"):
		return "pvcPrime"
	case strings.HasPrefix(pvc.Name, "tmp-pvc-"), strings.HasPrefix(pvc.Name, "tmp-source-pvc-"):
		return "cloneTemp"
	}
	return "other"
}

func roleOrder(role string) int {
	return map[string]int{"target": 0, "pvcPrime": 1, "cloneTemp": 2, "other": 3}[role]
}

func claimOf(pvc *corev1.PersistentVolumeClaim, role string) claim {
	out := claim{
		Role:             role,
		Name:             pvc.Name,
		Namespace:        pvc.Namespace,
		StorageClassName: pvc.Spec.StorageClassName,
	}
	if pvc.Spec.VolumeMode != nil {
		out.VolumeMode = ptr.To(string(*pvc.Spec.VolumeMode))
	}
	for _, m := range pvc.Spec.AccessModes {
		out.AccessModes = append(out.AccessModes, string(m))
	}
	if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		out.Storage = q.String()
		out.StorageBytes = ptr.To(q.Value())
	}
	return out
}

// objectIndex finds request objects by kind, namespace and name.
type objectIndex map[string]client.Object

func newObjectIndex(objs []client.Object) objectIndex {
	ix := objectIndex{}
	for _, o := range objs {
		kind := reflect.TypeOf(o).Elem().Name()
		ix[kind+"/"+o.GetNamespace()+"/"+o.GetName()] = o
	}
	return ix
}

func (ix objectIndex) get(kind, namespace, name string) client.Object {
	return ix[kind+"/"+namespace+"/"+name]
}
