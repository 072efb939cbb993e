// Package virttemplate is a build shim: see ../../README.md. Its constructor
// always fails: this build has no VirtualMachineTemplate client.
package virttemplate

import (
	"errors"

	"k8s.io/client-go/rest"
)

// TemplateV1beta1Interface is the part of the real typed client KubeVirt uses.
type TemplateV1beta1Interface interface {
	RESTClient() rest.Interface
}

// Clientset is an empty stand-in for the real clientset.
type Clientset struct{}

// TemplateV1beta1 is never reached: NewForConfig never returns a Clientset.
func (*Clientset) TemplateV1beta1() TemplateV1beta1Interface { return nil }

// NewForConfig always fails.
func NewForConfig(*rest.Config) (*Clientset, error) {
	return nil, errors.New("kubevirt.io/virt-template-client-go is a build shim in vmportal kube-testenv (the real module is not available from the module proxy)")
}
