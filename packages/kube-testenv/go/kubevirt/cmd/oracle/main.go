// Command oracle renders KubeVirt's own virt-launcher pod for a VMI, using
// the same code path virt-api's mutating webhook and virt-controller use:
//
//	(optional) the preference's autoattach settings, then the default interface (the VM
//	controller's startVMI order), then instancetype.apply.NewVMIApplier().ApplyToVMI
//	mutators.ApplyNewVMIMutations   (virt-api defaults: defaults.SetDefaultVirtualMachineInstance, ...)
//	admitters.VMICreateAdmitter      (virt-api validation: a refusal is reported in "refusals", with no pod)
//	services.NewTemplateService(...) with the options virt-controller passes
//	TemplateService.RenderLaunchManifest
//
// Modes:
//
//	oracle serve    JSON lines on stdin, one JSON line out per line in
//	oracle render   one JSON request on stdin, one indented JSON answer on stdout
//
// Request:  {"id", "vmi", "kubevirt" (KubeVirt spec.configuration), "kubevirtAnnotations" (the
//
//	KubeVirt CR's), "architecture" (default amd64), "nads" ([]NetworkAttachmentDefinition),
//	"namespaceQuotas" ([]ResourceQuota),
//	"namespaceLabels", "pvcs" ([]PersistentVolumeClaim), "instancetype", "preference"
//	(a VirtualMachine(Cluster)Instancetype/Preference object or just its spec)}
//
// Answer:   {"id", "pod", "compute": {"requests","limits"}, "podRequests", "podLimits"
//
//	(pod totals as a ResourceQuota counts them), "memoryOverhead", "vmi" (defaulted),
//	"warnings"}, or {"id", "refusals" ([{"message","field"}]: virt-api's or the VM
//	controller's reasons for refusing the VMI), or {"id", "error"}
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	netv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	admissionv1 "k8s.io/api/admission/v1"
	authv1 "k8s.io/api/authentication/v1"
	k8sv1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	resourcehelper "k8s.io/component-helpers/resource"
	sigsjson "sigs.k8s.io/json"

	v1 "kubevirt.io/api/core/v1"
	instancetypev1beta1 "kubevirt.io/api/instancetype/v1beta1"
	"kubevirt.io/client-go/kubecli"
	"kubevirt.io/client-go/log"
	networkattachmentdefinitionclient "kubevirt.io/client-go/networkattachmentdefinitionclient"
	fakenetclient "kubevirt.io/client-go/networkattachmentdefinitionclient/fake"

	containerdisk "kubevirt.io/kubevirt/pkg/container-disk"
	"kubevirt.io/kubevirt/pkg/hooks"
	"kubevirt.io/kubevirt/pkg/hypervisor"
	"kubevirt.io/kubevirt/pkg/instancetype/apply"
	preferenceapply "kubevirt.io/kubevirt/pkg/instancetype/preference/apply"
	netadmitter "kubevirt.io/kubevirt/pkg/network/admitter"
	"kubevirt.io/kubevirt/pkg/network/netbinding"
	netannotations "kubevirt.io/kubevirt/pkg/network/pod/annotations"
	netresources "kubevirt.io/kubevirt/pkg/network/resources"
	netvmispec "kubevirt.io/kubevirt/pkg/network/vmispec"
	storageannotations "kubevirt.io/kubevirt/pkg/storage/pod/annotations"
	"kubevirt.io/kubevirt/pkg/testutils"
	"kubevirt.io/kubevirt/pkg/virt-api/webhooks/mutating-webhook/mutators"
	"kubevirt.io/kubevirt/pkg/virt-api/webhooks/validating-webhook/admitters"
	virtconfig "kubevirt.io/kubevirt/pkg/virt-config"
	"kubevirt.io/kubevirt/pkg/virt-controller/services"
)

// Defaults of virt-controller's flags (pkg/virt-controller/watch/application.go).
const (
	launcherImage       = "virt-launcher"
	exporterImage       = "virt-exportserver"
	launcherQemuTimeout = 240
	virtShareDir        = "/var/run/kubevirt"
	ephemeralDiskDir    = virtShareDir + "-ephemeral-disks"
	imagePullSecret     = ""
	launcherSubGid      = int64(107)
)

var (
	containerDiskDir = filepath.Join(virtShareDir, "container-disks")
	hotplugDiskDir   = filepath.Join(virtShareDir, "hotplug-disks")
)

type request struct {
	ID              string                        `json:"id"`
	VMI             json.RawMessage               `json:"vmi"`
	KubeVirt        json.RawMessage               `json:"kubevirt,omitempty"`
	NamespaceQuotas []k8sv1.ResourceQuota         `json:"namespaceQuotas,omitempty"`
	NamespaceLabels map[string]string             `json:"namespaceLabels,omitempty"`
	PVCs            []k8sv1.PersistentVolumeClaim `json:"pvcs,omitempty"`
	Instancetype    json.RawMessage               `json:"instancetype,omitempty"`
	Preference      json.RawMessage               `json:"preference,omitempty"`
	// KubeVirtAnnotations are the KubeVirt CR's annotations (e.g. the even-parity
	// emulator-thread alignment virt-api copies to VMIs).
	KubeVirtAnnotations map[string]string `json:"kubevirtAnnotations,omitempty"`
	// Architecture is the cluster's (the KubeVirt CR's status.defaultArchitecture and
	// virt-controller's host architecture); amd64 when empty, whatever the oracle runs on.
	Architecture string `json:"architecture,omitempty"`
	// NADs are the NetworkAttachmentDefinitions virt-controller may look up (for the
	// SR-IOV resource name when ExternalNetResourceInjection is off).
	NADs []netv1.NetworkAttachmentDefinition `json:"nads,omitempty"`
	// ConfigMaps are the ConfigMaps virt-controller may look up (a hook sidecar's
	// script, hooks.kubevirt.io/hookSidecars' configMap).
	ConfigMaps []k8sv1.ConfigMap `json:"configMaps,omitempty"`
}

// oracleClient answers the lookups RenderLaunchManifest makes from the request
// (NetworkAttachmentDefinitions and ConfigMaps); any other call panics, which handle
// reports.
type oracleClient struct {
	kubecli.KubevirtClient
	nets networkattachmentdefinitionclient.Interface
	core *k8sfake.Clientset
}

func (c oracleClient) NetworkClient() networkattachmentdefinitionclient.Interface { return c.nets }

func (c oracleClient) CoreV1() corev1client.CoreV1Interface { return c.core.CoreV1() }

// refusal is one reason virt-api (or the VM controller, for the default interface) gives for
// refusing a VMI.
type refusal struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

type compute struct {
	Requests k8sv1.ResourceList `json:"requests"`
	Limits   k8sv1.ResourceList `json:"limits"`
}

type response struct {
	ID             string                     `json:"id"`
	Pod            *k8sv1.Pod                 `json:"pod,omitempty"`
	Compute        *compute                   `json:"compute,omitempty"`
	PodRequests    k8sv1.ResourceList         `json:"podRequests,omitempty"`
	PodLimits      k8sv1.ResourceList         `json:"podLimits,omitempty"`
	MemoryOverhead string                     `json:"memoryOverhead,omitempty"`
	VMI            *v1.VirtualMachineInstance `json:"vmi,omitempty"`
	Warnings       []string                   `json:"warnings,omitempty"`
	Refusals       []refusal                  `json:"refusals,omitempty"`
	Error          string                     `json:"error,omitempty"`
}

func main() {
	mode := "serve"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	// Keep stdout for answers only: anything KubeVirt's packages print goes to stderr.
	out := os.Stdout
	os.Stdout = os.Stderr
	log.InitializeLogging("oracle")
	verbosity := 0
	if v, err := strconv.Atoi(os.Getenv("ORACLE_VERBOSITY")); err == nil {
		verbosity = v
	}
	_ = log.Log.SetVerbosityLevel(verbosity)
	containerdisk.SetLocalDirectoryOnly(filepath.Join(ephemeralDiskDir, "container-disk-data"))

	switch mode {
	case "serve":
		if err := serve(os.Stdin, out); err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			os.Exit(1)
		}
	case "render":
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			os.Exit(1)
		}
		resp := handle(data)
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(resp)
		if resp.Error != "" {
			os.Exit(1)
		}
	case "version":
		bi, _ := debug.ReadBuildInfo()
		for _, d := range bi.Deps {
			if d.Path == "kubevirt.io/kubevirt" {
				fmt.Fprintln(out, d.Version)
			}
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: oracle serve|render|version")
		os.Exit(2)
	}
}

func serve(in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if err := enc.Encode(handle(line)); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

func handle(line []byte) (resp response) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		// Try to recover the id for the caller.
		var idOnly struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(line, &idOnly)
		return response{ID: idOnly.ID, Error: "bad request: " + err.Error()}
	}
	resp.ID = req.ID
	defer func() {
		if r := recover(); r != nil {
			resp = response{ID: req.ID, Error: fmt.Sprintf("panic while rendering: %v", r)}
		}
	}()
	r, err := render(&req)
	if err != nil {
		return response{ID: req.ID, Error: err.Error(), Warnings: r.Warnings}
	}
	r.ID = req.ID
	return r
}

func strict(data []byte, into any, what string, warnings *[]string) error {
	strictErrs, err := sigsjson.UnmarshalStrict(data, into, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	// Unknown fields are found by comparing a re-encoding with the input, since
	// types with their own UnmarshalJSON (VirtualMachineInstanceSpec has one)
	// hide them from the strict decoder; it still reports duplicate fields.
	for _, e := range strictErrs {
		if !strings.Contains(e.Error(), "unknown field") {
			*warnings = append(*warnings, fmt.Sprintf("%s: %v", what, e))
		}
	}
	var in, out any
	if reencoded, err := json.Marshal(into); err == nil &&
		json.Unmarshal(data, &in) == nil && json.Unmarshal(reencoded, &out) == nil {
		for _, f := range droppedFields(in, out, what) {
			*warnings = append(*warnings, fmt.Sprintf("unknown field %q (ignored)", f))
		}
	}
	return nil
}

// droppedFields lists the paths of non-empty input values that did not
// survive decoding into a Go type (unknown or misspelled fields).
func droppedFields(in, out any, path string) []string {
	var found []string
	switch iv := in.(type) {
	case map[string]any:
		om, _ := out.(map[string]any)
		for k, v := range iv {
			p := path + "." + k
			ov, ok := om[k]
			if !ok {
				if !isEmpty(v) {
					found = append(found, p)
				}
				continue
			}
			found = append(found, droppedFields(v, ov, p)...)
		}
	case []any:
		ol, _ := out.([]any)
		for i, v := range iv {
			if i < len(ol) {
				found = append(found, droppedFields(v, ol[i], fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	sort.Strings(found)
	return found
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case bool:
		return !t
	case float64:
		return t == 0
	case string:
		return t == ""
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

func render(req *request) (response, error) {
	var resp response
	if len(req.VMI) == 0 || string(req.VMI) == "null" {
		return resp, fmt.Errorf("request has no vmi")
	}
	vmi := &v1.VirtualMachineInstance{}
	if err := strict(req.VMI, vmi, "vmi", &resp.Warnings); err != nil {
		return resp, err
	}
	if vmi.Namespace == "" {
		vmi.Namespace = metav1.NamespaceDefault
	}
	if vmi.Name == "" {
		return resp, fmt.Errorf("vmi.metadata.name is required")
	}

	kvConfig := &v1.KubeVirtConfiguration{}
	if len(req.KubeVirt) > 0 && string(req.KubeVirt) != "null" {
		if err := strict(req.KubeVirt, kvConfig, "kubevirt", &resp.Warnings); err != nil {
			return resp, err
		}
	}
	arch := req.Architecture
	if arch == "" {
		arch = "amd64"
	}
	clusterConfig, _, _ := testutils.NewFakeClusterConfigUsingKVWithCPUArch(&v1.KubeVirt{
		ObjectMeta: metav1.ObjectMeta{Name: "kubevirt", Namespace: "kubevirt", Annotations: req.KubeVirtAnnotations},
		Spec:       v1.KubeVirtSpec{Configuration: *kvConfig},
		Status:     v1.KubeVirtStatus{DefaultArchitecture: arch},
	}, arch)

	// Instancetype / preference, as the VM controller applies them when it
	// creates the VMI from a VM.
	itSpec, err := instancetypeSpec(req.Instancetype, &resp.Warnings)
	if err != nil {
		return resp, err
	}
	prefSpec, err := preferenceSpec(req.Preference, &resp.Warnings)
	if err != nil {
		return resp, err
	}
	// The VM controller's startVMI order: the preference's autoattach settings, then
	// the default interface, then the instancetype and the rest of the preference (so
	// a preferred interface model applies to the default interface too). For a plain
	// VMI this is what virt-api's defaulting would do anyway.
	if prefSpec != nil {
		preferenceapply.ApplyAutoAttachPreferences(prefSpec, &vmi.Spec)
	}
	if err := netvmispec.SetDefaultNetworkInterface(clusterConfig, &vmi.Spec); err != nil {
		resp.Refusals = []refusal{{Message: err.Error()}}
		return resp, nil
	}
	if itSpec != nil || prefSpec != nil {
		conflicts := apply.NewVMIApplier().ApplyToVMI(k8sfield.NewPath("spec"), itSpec, prefSpec, &vmi.Spec, &vmi.ObjectMeta)
		if len(conflicts) > 0 {
			return resp, fmt.Errorf("instancetype conflicts with the VMI: %s", conflicts.String())
		}
	}

	// virt-api's mutating webhook on create. Its errors (the default interface the
	// cluster does not permit) are the VM controller's refusal to create the VMI.
	if err := mutators.ApplyNewVMIMutations(vmi, clusterConfig); err != nil {
		resp.Refusals = []refusal{{Message: err.Error()}}
		return resp, nil
	}

	// virt-api's validating webhook on create (the VMI is created by virt-controller's
	// service account).
	if refusals, err := validate(vmi, clusterConfig); err != nil {
		return resp, err
	} else if len(refusals) > 0 {
		resp.Refusals = refusals
		return resp, nil
	}

	quotaStore := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for i := range req.NamespaceQuotas {
		q := req.NamespaceQuotas[i].DeepCopy()
		if q.Namespace == "" {
			q.Namespace = vmi.Namespace
		}
		if q.Name == "" {
			q.Name = fmt.Sprintf("quota-%d", i)
		}
		if err := quotaStore.Add(q); err != nil {
			return resp, err
		}
	}
	nsStore := cache.NewStore(cache.MetaNamespaceKeyFunc)
	if err := nsStore.Add(&k8sv1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: vmi.Namespace, Labels: req.NamespaceLabels}}); err != nil {
		return resp, err
	}
	pvcStore := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for i := range req.PVCs {
		p := req.PVCs[i].DeepCopy()
		if p.Namespace == "" {
			p.Namespace = vmi.Namespace
		}
		if err := pvcStore.Add(p); err != nil {
			return resp, err
		}
	}

	nets := fakenetclient.NewSimpleClientset()
	// The plural is network-attachment-definitions, which the tracker cannot guess from the kind.
	nadResource := netv1.SchemeGroupVersion.WithResource("network-attachment-definitions")
	for i := range req.NADs {
		n := req.NADs[i].DeepCopy()
		if n.Namespace == "" {
			n.Namespace = vmi.Namespace
		}
		if err := nets.Tracker().Create(nadResource, n, n.Namespace); err != nil {
			return resp, err
		}
	}
	core := k8sfake.NewSimpleClientset()
	for i := range req.ConfigMaps {
		cm := req.ConfigMaps[i].DeepCopy()
		if cm.Namespace == "" {
			cm.Namespace = vmi.Namespace
		}
		if err := core.Tracker().Add(cm); err != nil {
			return resp, err
		}
	}
	client := oracleClient{nets: nets, core: core}

	netAnnotationsGenerator := netannotations.NewGenerator(clusterConfig)
	svc := services.NewTemplateService(launcherImage,
		launcherQemuTimeout,
		virtShareDir,
		ephemeralDiskDir,
		containerDiskDir,
		hotplugDiskDir,
		imagePullSecret,
		pvcStore,
		client, // answers NetworkAttachmentDefinitions and ConfigMaps from the request
		clusterConfig,
		launcherSubGid,
		exporterImage,
		quotaStore,
		nsStore,
		services.WithSidecarCreator(
			func(vmi *v1.VirtualMachineInstance, _ *v1.KubeVirtConfiguration) (hooks.HookSidecarList, error) {
				return hooks.UnmarshalHookSidecarList(vmi)
			}),
		services.WithSidecarCreator(netbinding.NetBindingPluginSidecarList),
		services.WithNetMemoryCalculator(netresources.MemoryCalculator{}),
		services.WithAnnotationsGenerators(netAnnotationsGenerator, storageannotations.Generator{}),
		services.WithNetTargetAnnotationsGenerator(netAnnotationsGenerator),
	)

	pod, err := svc.RenderLaunchManifest(vmi)
	if err != nil {
		return resp, fmt.Errorf("rendering launcher pod: %w", err)
	}
	overhead := services.CalculateMemoryOverhead(clusterConfig, netresources.MemoryCalculator{}, vmi,
		hypervisor.NewLauncherHypervisorResources(clusterConfig.GetHypervisor().Name))

	resp.Pod = pod
	// What a ResourceQuota charges for the pod: every container plus native
	// sidecars (guest-console-log) and the largest init container.
	resp.PodRequests = resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	resp.PodLimits = resourcehelper.PodLimits(pod, resourcehelper.PodResourcesOptions{})
	resp.VMI = vmi
	resp.MemoryOverhead = overhead.String()
	for _, c := range pod.Spec.Containers {
		if c.Name == "compute" {
			resp.Compute = &compute{Requests: c.Resources.Requests, Limits: c.Resources.Limits}
			if resp.Compute.Requests == nil {
				resp.Compute.Requests = k8sv1.ResourceList{}
			}
			if resp.Compute.Limits == nil {
				resp.Compute.Limits = k8sv1.ResourceList{}
			}
		}
	}
	if resp.Compute == nil {
		return resp, fmt.Errorf("rendered pod has no compute container")
	}
	return resp, nil
}

const controllerServiceAccount = "system:serviceaccount:kubevirt:kubevirt-controller"

func validate(vmi *v1.VirtualMachineInstance, clusterConfig *virtconfig.ClusterConfig) ([]refusal, error) {
	obj := vmi.DeepCopy()
	obj.APIVersion = v1.GroupVersion.String()
	obj.Kind = "VirtualMachineInstance"
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	admitter := &admitters.VMICreateAdmitter{
		ClusterConfig:           clusterConfig,
		KubeVirtServiceAccounts: map[string]struct{}{controllerServiceAccount: {}},
		// As virt-api registers it (pkg/virt-api/api.go registerValidatingWebhooks).
		SpecValidators: []admitters.SpecValidator{
			func(field *k8sfield.Path, spec *v1.VirtualMachineInstanceSpec, cfg *virtconfig.ClusterConfig) []metav1.StatusCause {
				return netadmitter.Validate(field, spec, cfg)
			},
		},
	}
	answer := admitter.Admit(context.Background(), &admissionv1.AdmissionReview{
		Request: &admissionv1.AdmissionRequest{
			Operation: admissionv1.Create,
			Resource:  metav1.GroupVersionResource{Group: v1.GroupVersion.Group, Version: v1.GroupVersion.Version, Resource: "virtualmachineinstances"},
			Object:    runtime.RawExtension{Raw: raw},
			UserInfo:  authv1.UserInfo{Username: controllerServiceAccount},
		},
	})
	if answer.Allowed {
		return nil, nil
	}
	var refusals []refusal
	if answer.Result != nil && answer.Result.Details != nil {
		for _, c := range answer.Result.Details.Causes {
			refusals = append(refusals, refusal{Message: c.Message, Field: c.Field})
		}
	}
	if len(refusals) == 0 && answer.Result != nil {
		refusals = append(refusals, refusal{Message: answer.Result.Message})
	}
	return refusals, nil
}

// hasSpec tells whether a JSON object is a whole API object (has "spec").
func hasSpec(data []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	_, ok := probe["spec"]
	return ok
}

func instancetypeSpec(data json.RawMessage, warnings *[]string) (*instancetypev1beta1.VirtualMachineInstancetypeSpec, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	if hasSpec(data) {
		obj := &instancetypev1beta1.VirtualMachineInstancetype{}
		if err := strict(data, obj, "instancetype", warnings); err != nil {
			return nil, err
		}
		return &obj.Spec, nil
	}
	spec := &instancetypev1beta1.VirtualMachineInstancetypeSpec{}
	if err := strict(data, spec, "instancetype", warnings); err != nil {
		return nil, err
	}
	return spec, nil
}

func preferenceSpec(data json.RawMessage, warnings *[]string) (*instancetypev1beta1.VirtualMachinePreferenceSpec, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	if hasSpec(data) {
		obj := &instancetypev1beta1.VirtualMachinePreference{}
		if err := strict(data, obj, "preference", warnings); err != nil {
			return nil, err
		}
		return &obj.Spec, nil
	}
	spec := &instancetypev1beta1.VirtualMachinePreferenceSpec{}
	if err := strict(data, spec, "preference", warnings); err != nil {
		return nil, err
	}
	return spec, nil
}
